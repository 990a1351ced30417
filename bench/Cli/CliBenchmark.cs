using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Parley.Bench.Gateway;
using Parley.Cluster.Testing.Infrastructure;
using Parley.Testing;

namespace Parley.Bench.Cli;

internal sealed record CliBenchmarkOptions(int Lines, double Qps, int Concurrency, int Pages, int LatencyMs, int SummarizeConcurrency);

/// <summary>The `parley` command line as a user runs it (its own process, a profile in a temporary home) against a silo
/// process on Redis in front of the simulator: `parley batch` at a requested QPS (the rate achieved, by the CLI's clock
/// and by the simulator's arrival times), and `parley summarize` on a long text with parallel calls against the same
/// run with one call at a time, the simulator taking a fixed time before each answer.</summary>
internal static class CliBenchmark
{
    private const string AdminKey = "sk-parley-bench-admin-0123456789abcdef0123456789";
    private const string Model = "bench";
    private const string UpstreamModel = "sim-bench";

    public static async Task<int> RunAsync(CliBenchmarkOptions options)
    {
        var home = Directory.CreateTempSubdirectory("parley-bench-cli-").FullName;
        var owned = new List<IAsyncDisposable>();
        try
        {
            var simulator = await ChildProcess.StartAsync("sim", Repository.BuiltDll("sim", "Parley.Sim"), FreePort.Next(), new Dictionary<string, string>
            {
                ["Simulator__ResponseTokens"] = "100",
                ["Simulator__TokensPerSecond"] = "0",
                ["Simulator__RecordedRequests"] = (options.Lines + 1000).ToString(CultureInfo.InvariantCulture),
                ["Simulator__Models__0"] = UpstreamModel,
            }, "/v1/models");
            owned.Add(simulator);
            var redis = await RedisServer.StartAsync();
            owned.Add(redis);
            var ports = ClusterPorts.Find(1);
            var silo = await SiloProcess.StartAsync(ClusterPorts.SiloAddress(0), ports, new Dictionary<string, string>
            {
                ["Logging__LogLevel__Default"] = "Warning",
                ["Parley__Redis__ConnectionString"] = redis.ConnectionString,
                ["Parley__Cluster__ClusterId"] = "bench-cli-" + Guid.NewGuid().ToString("N")[..8],
                ["Parley__Auth__AdminKey"] = AdminKey,
                ["Parley__Simulator__Enabled"] = "false",
                ["Parley__Providers__bench__Type"] = "OpenAI",
                ["Parley__Providers__bench__BaseUrl"] = $"{simulator.BaseAddress}v1",
                ["Parley__Providers__bench__ApiKey"] = "sk-bench-upstream",
                [$"Parley__Models__{Model}__Provider"] = "bench",
                [$"Parley__Models__{Model}__UpstreamModel"] = UpstreamModel,
            });
            owned.Add(silo);
            var key = await CreateUserKeyAsync(silo.Url);
            var cli = new CliRunner(home);
            await cli.RunAsync(["login", "--server", silo.Url.TrimEnd('/'), "--allow-plaintext"], key + "\n");

            using var sim = new HttpClient { BaseAddress = simulator.BaseAddress };
            sim.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "sk-bench-upstream");
            Console.WriteLine($"parley batch: {options.Lines} lines at --qps {options.Qps} --concurrency {options.Concurrency} (upstream answers at once)");
            await BatchAsync(cli, sim, home, options);
            Console.WriteLine();
            Console.WriteLine($"parley summarize: {options.Pages} pages, the simulator waiting {options.LatencyMs} ms before each answer");
            await SummarizeAsync(cli, sim, home, options);
            return 0;
        }
        finally
        {
            for (var i = owned.Count - 1; i >= 0; i--)
            {
                await owned[i].DisposeAsync();
            }
            Directory.Delete(home, recursive: true);
        }
    }

    private static async Task BatchAsync(CliRunner cli, HttpClient sim, string home, CliBenchmarkOptions options)
    {
        var input = Path.Combine(home, "batch.jsonl");
        await using (var writer = new StreamWriter(input))
        {
            for (var i = 0; i < options.Lines; i++)
            {
                await writer.WriteLineAsync(FormattableString.Invariant(
                    $$$"""{"custom_id":"line-{{{i}}}","method":"POST","url":"/v1/chat/completions","body":{"model":"{{{Model}}}","messages":[{"role":"user","content":"Write a slogan for product {{{i}}}."}]}}"""));
            }
        }
        await ResetAsync(sim);
        var summary = await cli.RunJsonAsync(["batch", input, "-o", Path.Combine(home, "batch.out.jsonl"), "--qps", options.Qps.ToString(CultureInfo.InvariantCulture),
            "--concurrency", options.Concurrency.ToString(CultureInfo.InvariantCulture), "--json"]);
        var arrivals = await ArrivalsAsync(sim);
        // The first requests reach the simulator late (the silo's first calls warm it up) while the CLI keeps its
        // schedule, which would shorten the span and overstate the rate: the rate is taken after the first 10.
        var steady = arrivals.Skip(Math.Min(10, arrivals.Count / 10)).ToList();
        var upstreamRate = steady.Count > 1 ? (steady.Count - 1) / (steady[^1] - steady[0]).TotalSeconds : 0;
        var busiestSecond = steady.Select((a, i) => steady.Skip(i).TakeWhile(b => b - a < TimeSpan.FromSeconds(1)).Count()).DefaultIfEmpty().Max();
        var cliRate = summary.GetProperty("lines_per_second").GetDouble();
        Console.WriteLine(FormattableString.Invariant(
            $"  done {summary.GetProperty("done").GetInt32()}, failed {summary.GetProperty("failed").GetInt32()}, retries {summary.GetProperty("retries").GetInt32()}, {summary.GetProperty("elapsed_seconds").GetDouble():0.00} s"));
        Console.WriteLine(FormattableString.Invariant(
            $"  rate by the CLI's clock    {cliRate,8:0.00} lines/s  ({100 * cliRate / options.Qps:0.0} % of the QPS asked)"));
        Console.WriteLine(FormattableString.Invariant(
            $"  rate arriving upstream     {upstreamRate,8:0.00} req/s    ({100 * upstreamRate / options.Qps:0.0} % of the QPS asked; {steady.Count} requests after the first {arrivals.Count - steady.Count})"));
        Console.WriteLine(FormattableString.Invariant($"  busiest second upstream    {busiestSecond,8} requests (after the first {arrivals.Count - steady.Count})"));
    }

    private static async Task SummarizeAsync(CliRunner cli, HttpClient sim, string home, CliBenchmarkOptions options)
    {
        var file = Path.Combine(home, "report.txt");
        await File.WriteAllTextAsync(file, LongText(options.Pages));
        var results = new List<(int Concurrency, JsonElement Summary)>();
        foreach (var concurrency in new[] { 1, options.SummarizeConcurrency })
        {
            // A reset puts the fault settings back too, so the answer delay is set after it.
            await ResetAsync(sim);
            using (var body = new StringContent(FormattableString.Invariant($$"""{"time_to_first_token_ms":{{options.LatencyMs}}}"""), Encoding.UTF8, "application/json"))
            using (var faults = await sim.PostAsync("sim/faults", body))
            {
                faults.EnsureSuccessStatusCode();
            }
            var summary = await cli.RunJsonAsync(["summarize", file, "--context-window", "8192", "--max-output-tokens", "256",
                "--concurrency", concurrency.ToString(CultureInfo.InvariantCulture), "--json"]);
            results.Add((concurrency, summary));
            Console.WriteLine(FormattableString.Invariant(
                $"  --concurrency {concurrency,-3} {summary.GetProperty("chunks").GetArrayLength()} chunks, {summary.GetProperty("calls").GetInt32()} calls, {summary.GetProperty("reduce_levels").GetInt32()} merge level(s): {summary.GetProperty("elapsed_seconds").GetDouble(),7:0.00} s"));
        }
        var sequential = results[0].Summary.GetProperty("elapsed_seconds").GetDouble();
        var parallel = results[1].Summary.GetProperty("elapsed_seconds").GetDouble();
        Console.WriteLine(FormattableString.Invariant($"  speed-up {sequential / parallel:0.00}x"));
    }

    private static async Task ResetAsync(HttpClient sim)
    {
        using var reset = await sim.PostAsync("sim/reset", null);
        reset.EnsureSuccessStatusCode();
    }

    /// <summary>When each chat completion reached the simulator, in order.</summary>
    private static async Task<List<DateTimeOffset>> ArrivalsAsync(HttpClient sim)
    {
        using var document = JsonDocument.Parse(await sim.GetStringAsync("sim/requests"));
        return document.RootElement.GetProperty("data").EnumerateArray()
            .Where(r => r.GetProperty("path").GetString()!.EndsWith("/chat/completions", StringComparison.Ordinal))
            .Select(r => r.GetProperty("received_at").GetDateTimeOffset())
            .Order()
            .ToList();
    }

    /// <summary>Plain numbered paragraphs of about 300 words a page, the same every run.</summary>
    private static string LongText(int pages)
    {
        string[] words = ["the", "committee", "reviewed", "quarterly", "revenue", "growth", "across", "regions", "and", "noted", "that", "customer",
            "retention", "improved", "while", "costs", "rose", "because", "of", "supply", "delays", "analysts", "expect", "margins", "to", "recover"];
        var random = new Random(7);
        var text = new StringBuilder();
        for (var paragraph = 1; text.Length < pages * 300 * 7; paragraph++)
        {
            text.Append(CultureInfo.InvariantCulture, $"Paragraph {paragraph}.");
            for (var sentence = random.Next(3, 8); sentence > 0; sentence--)
            {
                var length = random.Next(8, 18);
                for (var w = 0; w < length; w++)
                {
                    text.Append(' ').Append(words[random.Next(words.Length)]);
                }
                text.Append('.');
            }
            text.Append("\n\n");
        }
        return text.ToString();
    }

    private static async Task<string> CreateUserKeyAsync(string siloUrl)
    {
        using var admin = new HttpClient { BaseAddress = new Uri(siloUrl.TrimEnd('/') + "/") };
        admin.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", AdminKey);
        using var user = await admin.PostAsJsonAsync("admin/users", new Dictionary<string, string> { ["name"] = "bench-cli" }, BenchJsonContext.Default.DictionaryStringString);
        user.EnsureSuccessStatusCode();
        var userId = JsonDocument.Parse(await user.Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetString();
        using var key = await admin.PostAsJsonAsync($"admin/users/{userId}/keys", new Dictionary<string, string> { ["name"] = "bench-cli" }, BenchJsonContext.Default.DictionaryStringString);
        key.EnsureSuccessStatusCode();
        return JsonDocument.Parse(await key.Content.ReadAsStringAsync()).RootElement.GetProperty("key").GetString()!;
    }

    /// <summary>Runs the built parley.dll with its own HOME (profiles and the plaintext key there; no keyring).</summary>
    private sealed class CliRunner(string home)
    {
        private readonly string _dll = Repository.BuiltDll("cli", "parley");

        public async Task<JsonElement> RunJsonAsync(string[] args)
        {
            var output = await RunAsync(args, null);
            return JsonDocument.Parse(output).RootElement.Clone();
        }

        public async Task<string> RunAsync(string[] args, string? stdin)
        {
            var info = new ProcessStartInfo("dotnet")
            {
                RedirectStandardInput = true,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            info.ArgumentList.Add(_dll);
            foreach (var arg in args)
            {
                info.ArgumentList.Add(arg);
            }
            info.Environment["HOME"] = home;
            info.Environment["DBUS_SESSION_BUS_ADDRESS"] = "unix:path=/nonexistent/parley-bench-bus";
            info.Environment.Remove("XDG_CONFIG_HOME");
            info.Environment.Remove("PARLEY_CONFIG_DIR");
            info.Environment.Remove("PARLEY_PROFILE");
            using var process = Process.Start(info)!;
            var output = process.StandardOutput.ReadToEndAsync();
            var error = process.StandardError.ReadToEndAsync();
            if (stdin is not null)
            {
                await process.StandardInput.WriteAsync(stdin);
            }
            process.StandardInput.Close();
            await process.WaitForExitAsync();
            if (process.ExitCode != 0)
            {
                throw new InvalidOperationException($"parley {args[0]} exited {process.ExitCode}: {await error}");
            }
            return await output;
        }
    }
}
