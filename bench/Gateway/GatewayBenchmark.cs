using System.Globalization;

namespace Parley.Bench.Gateway;

/// <summary>The gateway's added latency and throughput: the same load sent directly to the simulator, through one silo,
/// through the front end and a silo, and as conversation turns through the front end with the conversation's grain on
/// the silo that serves the turn and on the other one. Two silos form one Orleans cluster on Redis; each server runs as
/// its own process.</summary>
internal static class GatewayBenchmark
{
    public static async Task<int> RunAsync(GatewayBenchmarkOptions options)
    {
        Console.WriteLine("Starting the simulator, redis-server, 2 silos (one Orleans cluster on Redis) and the front end, each its own process.");
        await using var cluster = await GatewayCluster.StartAsync(options.SiloProtocol);
        var userKey = await cluster.CreateUserKeyAsync();
        var front = cluster.FrontEnd.BaseAddress;

        Console.WriteLine($"Gateway benchmark: {options.Rate} req/s open loop, {options.Rounds} rounds of {options.Seconds} s per target (each after {options.WarmupSeconds} s warm-up), medians; "
            + $"then {options.Concurrency} concurrent callers for {options.ThroughputSeconds} s; {Environment.ProcessorCount} cores; simulator at zero latency; "
            + $"conversation turns spread over {options.Conversations} conversations per placement, new ones for each mode.");
        Console.WriteLine();
        Console.WriteLine("| mode | target | p50 ms | p99 ms | added p50 ms | added p99 ms | silos CPU µs/req | front end CPU µs/req | errors | peak req/s |");
        Console.WriteLine("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|");
        int[] silos = [.. cluster.Silos.Select(s => s.ProcessId)];
        var frontEnd = cluster.FrontEnd.ProcessId;
        foreach (var stream in new[] { false, true })
        {
            // Each mode continues conversations of its own, so that streamed turns are not measured on conversations the
            // non-streamed ones have already made long (a longer context is a larger upstream body).
            var (local, remote) = await cluster.CreateConversationsAsync(userKey, options.Conversations);
            var targets = new GatewayTarget[]
            {
                new("direct to sim", cluster.Simulator.BaseAddress, GatewayCluster.UpstreamKey, GatewayCluster.UpstreamModel, null),
                new("through silo", new Uri(cluster.Silos[0].Url), userKey, GatewayCluster.PublicModel, null),
                new("front end + silo", front, userKey, GatewayCluster.PublicModel, null),
                new("front end + silo, conversation on that silo", front, userKey, GatewayCluster.PublicModel, local),
                new("front end + silo, conversation on the other silo", front, userKey, GatewayCluster.PublicModel, remote),
            };
            // Rounds interleave the targets so that a disturbance on this shared machine (another process, a GC in the
            // load generator) lands on every target alike; each figure is the median over the rounds.
            var rounds = new LatencySummary[targets.Length][];
            var cpu = new (double Silos, double FrontEnd)[targets.Length][];
            for (var t = 0; t < targets.Length; t++)
            {
                rounds[t] = new LatencySummary[options.Rounds];
                cpu[t] = new (double, double)[options.Rounds];
            }
            for (var round = 0; round < options.Rounds; round++)
            {
                for (var t = 0; t < targets.Length; t++)
                {
                    using var load = targets[t].Load();
                    await load.OpenLoopAsync(stream, options.Rate, TimeSpan.FromSeconds(options.WarmupSeconds));
                    // CPU per request at the fixed rate: on a shared machine the steadier measure of what a hop costs.
                    var (silosBefore, frontBefore) = (silos.Sum(CpuMicroseconds), CpuMicroseconds(frontEnd));
                    rounds[t][round] = await load.OpenLoopAsync(stream, options.Rate, TimeSpan.FromSeconds(options.Seconds));
                    var requests = Math.Max(1, rounds[t][round].Requests);
                    cpu[t][round] = ((silos.Sum(CpuMicroseconds) - silosBefore) / requests, (CpuMicroseconds(frontEnd) - frontBefore) / requests);
                }
            }
            var direct = Median(rounds[0]);
            for (var t = 0; t < targets.Length; t++)
            {
                using var load = targets[t].Load();
                var throughput = await load.ClosedLoopAsync(stream, options.Concurrency, TimeSpan.FromSeconds(options.ThroughputSeconds));
                var latency = Median(rounds[t]);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"| {(stream ? "streaming" : "non-streaming")} | {targets[t].Name} | {latency.P50Ms:F3} | {latency.P99Ms:F3} | "
                    + $"{latency.P50Ms - direct.P50Ms:F3} | {latency.P99Ms - direct.P99Ms:F3} | {Mid(cpu[t].Select(c => c.Silos)):F0} | "
                    + $"{Mid(cpu[t].Select(c => c.FrontEnd)):F0} | {latency.Failures + throughput.Failures} | {throughput.RequestsPerSecond:F0} |"));
            }
        }

        Console.WriteLine();
        static string MiB(long bytes) => (bytes / (1024.0 * 1024.0)).ToString("F1", CultureInfo.InvariantCulture);
        Console.WriteLine($"peak memory (VmHWM): silos {string.Join(" / ", cluster.Silos.Select(s => MiB(ChildProcess.PeakWorkingSetBytes(s.ProcessId))))} MiB; "
            + $"front end {MiB(cluster.FrontEnd.PeakWorkingSetBytes())} MiB; simulator {MiB(cluster.Simulator.PeakWorkingSetBytes())} MiB");
        return 0;
    }

    private static double CpuMicroseconds(int processId) => ChildProcess.CpuTime(processId).TotalMicroseconds;

    private static double Mid(IEnumerable<double> values) => values.Order().ElementAt(values.Count() / 2);

    private static LatencySummary Median(LatencySummary[] rounds)
    {
        return new LatencySummary(rounds.Sum(r => r.Requests), rounds.Sum(r => r.Failures),
            Mid(rounds.Select(r => r.P50Ms)), Mid(rounds.Select(r => r.P99Ms)), rounds.Max(r => r.MaxMs), Mid(rounds.Select(r => r.RequestsPerSecond)));
    }
}

/// <summary>One measured path: where requests go, with which key and model, and (for conversation turns) which
/// conversations they continue.</summary>
internal sealed record GatewayTarget(string Name, Uri Address, string Key, string Model, IReadOnlyList<string>? Conversations)
{
    public LoadGenerator Load() => new(Address, Key, Model, Conversations);
}

internal sealed record GatewayBenchmarkOptions(int Rate, int Seconds, int WarmupSeconds, int Rounds, int Concurrency, int ThroughputSeconds, int Conversations,
    Parley.ClientApi.Hosting.SiloProtocol SiloProtocol);
