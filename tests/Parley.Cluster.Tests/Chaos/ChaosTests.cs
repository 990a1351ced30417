using Parley.Cluster.Testing.Chaos;
using Parley.Cluster.Testing.Infrastructure;
using Xunit.Abstractions;

namespace Parley.Cluster.Tests.Chaos;

/// <summary>Sixteen clients each continue their own conversation through the front end of a 3-silo cluster, streaming
/// every other turn and retrying a failed turn as a client would, while a silo is taken down every 10 s and started
/// again: no acknowledged turn is lost, none is stored twice or out of order, and no answer is a 500. A minute here; the
/// five-minute run is <c>dotnet run -c Release --project bench -- chaos</c>.</summary>
public sealed class ChaosTests(ITestOutputHelper output)
{
    private const int Clients = 16;
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan Duration = TimeSpan.FromSeconds(60);
    private static readonly int MinDisruptions = (int)(Duration / Interval) - 1;

    [Fact]
    public async Task A_silo_killed_every_ten_seconds_loses_and_repeats_no_turn()
    {
        var report = await RunAsync(SiloDisruption.Kill);

        AssertTranscriptsExact(report);
        Assert.True(report.FirstAttemptSuccess >= 0.999, $"first attempts succeeded {report.FirstAttemptSuccess:P3}, below 99.9 %");
    }

    [Fact]
    public async Task A_silo_stopped_gracefully_every_ten_seconds_fails_no_request()
    {
        var report = await RunAsync(SiloDisruption.Terminate);

        AssertTranscriptsExact(report);
        Assert.Equal(0, report.FirstAttemptFailures);
    }

    private async Task<ChaosReport> RunAsync(SiloDisruption disruption)
    {
        await using var cluster = await TestCluster.StartAsync();
        var key = await cluster.CreateUserKeyAsync("chaos");
        // At least this many silos taken down, however long restarts take on this machine (the run is extended, bounded).
        var report = await new ChaosRun(cluster, key, Clients, Duration, Interval, disruption, MinDisruptions).RunAsync();
        output.WriteLine(report.Summary);
        foreach (var line in report.Events.Take(200))
        {
            output.WriteLine(line);
        }
        return report;
    }

    private static void AssertTranscriptsExact(ChaosReport report)
    {
        Assert.True(report.Disruptions >= MinDisruptions, $"only {report.Disruptions} disruption(s) happened");
        Assert.True(report.Turns > 0);
        Assert.Empty(report.Failures);
        Assert.Equal(0, report.Status500);
        Assert.Equal(0, report.Lost);
        Assert.Equal(0, report.Duplicated);
        Assert.Equal(0, report.OutOfOrder);
        Assert.Equal(0, report.UnacknowledgedStored);
        Assert.Equal(0, report.GivenUp);
    }
}
