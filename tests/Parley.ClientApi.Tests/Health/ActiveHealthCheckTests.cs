using System.Diagnostics;
using System.Net;
using Parley.ClientApi.Health;
using Parley.ClientApi.Tests.Forwarding;
using Parley.ClientApi.Tests.Infrastructure;

namespace Parley.ClientApi.Tests.Health;

/// <summary>Each silo's /health/ready is probed; one answering 503 (as a draining silo does) leaves the rotation,
/// and comes back when it answers 200 again.</summary>
public sealed class ActiveHealthCheckTests
{
    private static readonly Dictionary<string, string?> FastProbes = new()
    {
        ["Parley:FrontEnd:HealthCheckInterval"] = "00:00:00.100",
    };

    [Fact]
    public async Task A_silo_answering_503_leaves_the_rotation_and_its_keys_go_to_their_next_silo()
    {
        await using var draining = await EchoBackend.StartAsync();
        await using var other = await EchoBackend.StartAsync();
        string[] silos = [draining.Url, other.Url];
        var conversation = Ranking.ConversationRanked(silos, draining.Url);
        await using var frontEnd = await FrontEndHost.StartWithSilosAsync(silos, FastProbes);
        await frontEnd.WaitForSilosAsync(s => s.Count == 2 && s.All(x => x.IsHealthy));
        Assert.Equal(draining.Url, await ServedByAsync(frontEnd, conversation));

        var started = Stopwatch.StartNew();
        draining.ReadyStatus = StatusCodes503;
        await frontEnd.WaitForSilosAsync(s => s.Single(x => x.Address == draining.Url).Probe == SiloHealth.Unhealthy);
        // Two intervals are 0.2 s; the bound leaves room for a busy machine, not for a missed probe cycle per second.
        Assert.True(started.Elapsed < TimeSpan.FromSeconds(5), $"took {started.Elapsed}");
        // On a loaded machine a probe of the other silo can outlast its 1 s timeout and take it out until its next probe
        // (0.1 s later); the rotation is checked once that probe has answered.
        await frontEnd.WaitForSilosAsync(s => s.Single(x => x.Address == other.Url).IsHealthy);
        using (var ready = await frontEnd.Client.GetAsync("/health/ready"))
        {
            Assert.Contains("\"inRotation\":1", await ready.Content.ReadAsStringAsync());
        }
        var requestsBefore = draining.Requests;
        Assert.Equal(other.Url, await ServedByAsync(frontEnd, conversation));
        Assert.Equal(requestsBefore, draining.Requests);

        draining.ReadyStatus = 200;
        await frontEnd.WaitForSilosAsync(s => s.All(x => x.IsHealthy));
        Assert.Equal(draining.Url, await ServedByAsync(frontEnd, conversation));
    }

    [Fact]
    public async Task When_no_silo_is_healthy_every_known_silo_is_still_tried()
    {
        await using var a = await EchoBackend.StartAsync();
        await using var b = await EchoBackend.StartAsync();
        a.ReadyStatus = b.ReadyStatus = StatusCodes503;
        string[] silos = [a.Url, b.Url];
        var conversation = Ranking.ConversationRanked(silos, b.Url);
        await using var frontEnd = await FrontEndHost.StartWithSilosAsync(silos, FastProbes);
        await frontEnd.WaitForSilosAsync(s => s.Count == 2 && s.All(x => x.Probe == SiloHealth.Unhealthy));

        Assert.Equal(b.Url, await ServedByAsync(frontEnd, conversation));
    }

    private const int StatusCodes503 = (int)HttpStatusCode.ServiceUnavailable;

    private static async Task<string> ServedByAsync(FrontEndHost frontEnd, string conversation)
    {
        using var response = await frontEnd.Client.PostAsync($"/v1/conversations/{conversation}/items", new StringContent("x"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return response.Headers.GetValues(EchoBackend.ServedByHeader).Single();
    }
}
