using Parley.Cluster.Testing.Chaos;
using Parley.Cluster.Testing.Infrastructure;

namespace Parley.Bench.Chaos;

public sealed record ChaosBenchmarkOptions(int Minutes, int Clients, int IntervalSeconds, SiloDisruption Disruption);

/// <summary>The chaos test's run, longer: a real 3-silo cluster (redis-server, three silo processes, the front end, the
/// simulator), clients continuing their conversations while a silo is taken down every interval, then every
/// conversation checked against what its client was acknowledged.</summary>
public static class ChaosBenchmark
{
    public static async Task<int> RunAsync(ChaosBenchmarkOptions options)
    {
        Console.WriteLine($"Starting redis-server, 3 silos, the front end and the simulator; then {options.Minutes} min of {options.Clients} clients, " +
            $"a silo {(options.Disruption == SiloDisruption.Kill ? "killed (SIGKILL)" : "stopped (SIGTERM)")} every {options.IntervalSeconds} s.");
        await using var cluster = await TestCluster.StartAsync();
        var key = await cluster.CreateUserKeyAsync("chaos-bench");
        var report = await new ChaosRun(cluster, key, options.Clients, TimeSpan.FromMinutes(options.Minutes), TimeSpan.FromSeconds(options.IntervalSeconds),
            options.Disruption).RunAsync();

        Console.WriteLine();
        Console.WriteLine("| disruption | silos taken down | run s | clients | acknowledged turns | turns/s | first attempt ok | failed first | 500s | lost | duplicated | out of order | replays | max attempts |");
        Console.WriteLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        Console.WriteLine($"| {report.Disruption} | {report.Disruptions} | {report.Elapsed.TotalSeconds:0} | {report.Clients} | {report.Turns} | " +
            $"{report.Turns / Math.Max(1, report.Elapsed.TotalSeconds):0} | {report.FirstAttemptSuccess:P3} | {report.FirstAttemptFailures} | {report.Status500} | " +
            $"{report.Lost} | {report.Duplicated} | {report.OutOfOrder} | {report.Replays} | {report.MaxAttempts} |");
        // What each failed first attempt got, next to when silos went down and came back: the figure's explanation.
        foreach (var line in report.Events.Where(e => e.Contains(" attempt 1: ", StringComparison.Ordinal)).Take(20))
        {
            Console.WriteLine("failed first attempt: " + line);
        }
        foreach (var failure in report.Failures.Take(20))
        {
            Console.WriteLine("failure: " + failure);
        }
        var ok = report.Failures.Count == 0 && report.Lost == 0 && report.Duplicated == 0 && report.OutOfOrder == 0 && report.Status500 == 0;
        Console.WriteLine(ok ? "No acknowledged turn lost, none stored twice or out of order, no 500." : "FAILED: see above.");
        return ok ? 0 : 1;
    }
}
