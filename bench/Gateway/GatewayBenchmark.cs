using System.Globalization;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json;

namespace Parley.Bench.Gateway;

/// <summary>The gateway's added latency and throughput: the same load sent directly to the simulator, through one
/// silo, and through the front end plus that silo. Each server runs as its own process.</summary>
internal static class GatewayBenchmark
{
    private const string UpstreamKey = "sk-bench-upstream";
    private const string AdminKey = "sk-parley-bench-admin-0123456789abcdef0123456789";
    private const string UpstreamModel = "sim-bench";
    private const string PublicModel = "bench";

    public static async Task<int> RunAsync(GatewayBenchmarkOptions options)
    {
        var root = Repository.Root();
        var configuration = new DirectoryInfo(AppContext.BaseDirectory).Parent!.Name; // bench/bin/<Configuration>/net10.0
        string Dll(string folder, string name) => Path.Combine(root, folder, "bin", configuration, "net10.0", name + ".dll");

        var simPort = FreePort();
        await using var sim = await ChildProcess.StartAsync("sim", Dll("sim", "Parley.Sim"), simPort, new Dictionary<string, string>
        {
            ["Simulator__TimeToFirstToken"] = "00:00:00",
            ["Simulator__TokensPerSecond"] = "0",
            ["Simulator__ResponseTokens"] = "16",
            ["Simulator__TokensPerChunk"] = "1",
            ["Simulator__RecordedRequests"] = "0",
            ["Simulator__Models__0"] = UpstreamModel,
        }, "/v1/models");

        var siloPort = FreePort();
        await using var silo = await ChildProcess.StartAsync("silo", Dll("silo", "Parley.Silo"), siloPort, new Dictionary<string, string>
        {
            ["Parley__Simulator__Enabled"] = "false",
            ["Parley__Auth__AdminKey"] = AdminKey,
            ["Parley__Providers__bench__Type"] = "OpenAI",
            ["Parley__Providers__bench__BaseUrl"] = $"http://127.0.0.1:{simPort}/v1",
            ["Parley__Providers__bench__ApiKey"] = UpstreamKey,
            ["Parley__Models__bench__Provider"] = "bench",
            ["Parley__Models__bench__UpstreamModel"] = UpstreamModel,
        }, "/health/ready");

        var frontPort = FreePort();
        await using var front = await ChildProcess.StartAsync("client-api", Dll("client-api", "Parley.ClientApi"), frontPort, new Dictionary<string, string>
        {
            ["Parley__FrontEnd__Silos__0"] = silo.BaseAddress.ToString().TrimEnd('/'),
        }, "/health/ready");

        var userKey = await CreateUserKeyAsync(silo.BaseAddress);
        var targets = new (string Name, Uri Address, string Key, string Model)[]
        {
            ("direct to sim", sim.BaseAddress, UpstreamKey, UpstreamModel),
            ("through silo", silo.BaseAddress, userKey, PublicModel),
            ("front end + silo", front.BaseAddress, userKey, PublicModel),
        };

        Console.WriteLine($"Gateway benchmark: {options.Rate} req/s open loop, {options.Rounds} rounds of {options.Seconds} s per target (each after {options.WarmupSeconds} s warm-up), medians; "
            + $"then {options.Concurrency} concurrent callers for {options.ThroughputSeconds} s; {Environment.ProcessorCount} cores; simulator at zero latency.");
        Console.WriteLine();
        Console.WriteLine("| mode | target | p50 ms | p99 ms | added p50 ms | added p99 ms | errors | peak req/s |");
        Console.WriteLine("|---|---|---:|---:|---:|---:|---:|---:|");
        foreach (var stream in new[] { false, true })
        {
            // Rounds interleave the targets so that a disturbance on this shared machine (another process, a GC in the
            // load generator) lands on every target alike; each figure is the median over the rounds.
            var rounds = new LatencySummary[targets.Length][];
            for (var t = 0; t < targets.Length; t++)
            {
                rounds[t] = new LatencySummary[options.Rounds];
            }
            for (var round = 0; round < options.Rounds; round++)
            {
                for (var t = 0; t < targets.Length; t++)
                {
                    using var load = new LoadGenerator(targets[t].Address, targets[t].Key, targets[t].Model);
                    await load.OpenLoopAsync(stream, options.Rate, TimeSpan.FromSeconds(options.WarmupSeconds));
                    rounds[t][round] = await load.OpenLoopAsync(stream, options.Rate, TimeSpan.FromSeconds(options.Seconds));
                }
            }
            var direct = Median(rounds[0]);
            for (var t = 0; t < targets.Length; t++)
            {
                using var load = new LoadGenerator(targets[t].Address, targets[t].Key, targets[t].Model);
                var throughput = await load.ClosedLoopAsync(stream, options.Concurrency, TimeSpan.FromSeconds(options.ThroughputSeconds));
                var latency = Median(rounds[t]);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"| {(stream ? "streaming" : "non-streaming")} | {targets[t].Name} | {latency.P50Ms:F3} | {latency.P99Ms:F3} | "
                    + $"{latency.P50Ms - direct.P50Ms:F3} | {latency.P99Ms - direct.P99Ms:F3} | {latency.Failures + throughput.Failures} | {throughput.RequestsPerSecond:F0} |"));
            }
        }

        Console.WriteLine();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"silo peak memory (VmHWM): {silo.PeakWorkingSetBytes() / (1024.0 * 1024.0):F1} MiB; "
            + $"front end: {front.PeakWorkingSetBytes() / (1024.0 * 1024.0):F1} MiB; simulator: {sim.PeakWorkingSetBytes() / (1024.0 * 1024.0):F1} MiB"));
        return 0;
    }

    private static LatencySummary Median(LatencySummary[] rounds)
    {
        static double Mid(IEnumerable<double> values) => values.Order().ElementAt(values.Count() / 2);
        return new LatencySummary(rounds.Sum(r => r.Requests), rounds.Sum(r => r.Failures),
            Mid(rounds.Select(r => r.P50Ms)), Mid(rounds.Select(r => r.P99Ms)), rounds.Max(r => r.MaxMs), Mid(rounds.Select(r => r.RequestsPerSecond)));
    }

    private static async Task<string> CreateUserKeyAsync(Uri silo)
    {
        using var http = new HttpClient { BaseAddress = silo };
        http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", AdminKey);
        using var userResponse = await http.PostAsJsonAsync("admin/users", new Dictionary<string, string> { ["name"] = "bench" }, BenchJsonContext.Default.DictionaryStringString);
        userResponse.EnsureSuccessStatusCode();
        using var user = JsonDocument.Parse(await userResponse.Content.ReadAsStringAsync());
        var userId = user.RootElement.GetProperty("id").GetString();
        using var keyResponse = await http.PostAsJsonAsync($"admin/users/{userId}/keys", new Dictionary<string, string> { ["name"] = "bench" }, BenchJsonContext.Default.DictionaryStringString);
        keyResponse.EnsureSuccessStatusCode();
        using var key = JsonDocument.Parse(await keyResponse.Content.ReadAsStringAsync());
        return key.RootElement.GetProperty("key").GetString()!;
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }
}

internal sealed record GatewayBenchmarkOptions(int Rate, int Seconds, int WarmupSeconds, int Rounds, int Concurrency, int ThroughputSeconds);
