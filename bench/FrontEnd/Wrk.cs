using System.Diagnostics;
using System.Globalization;

namespace Parley.Bench.FrontEnd;

/// <summary>One run of wrk (Debian package <c>wrk</c>) with a Lua script that sets the request and prints the
/// summary as one machine-readable line.</summary>
internal static class Wrk
{
    // Requests are the same every time: a small chat completion, optionally with a conversation header or streamed.
    private const string ScriptTemplate = """
        wrk.method = "POST"
        wrk.body = '{"model":"bench","messages":[{"role":"user","content":"Say hello to the benchmark, briefly."}],"max_tokens":16}'
        wrk.headers["Content-Type"] = "application/json"
        wrk.headers["Authorization"] = "Bearer sk-parley-bench-0123456789"
        {{HEADERS}}
        done = function(summary, latency, requests)
          local errors = summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.status + summary.errors.timeout
          io.write(string.format("PARLEY %d %d %d %d %d\n", summary.requests, summary.duration, errors, latency:percentile(50), latency:percentile(99)))
        end
        """;

    public static bool IsInstalled() => File.Exists("/usr/bin/wrk") || File.Exists("/usr/local/bin/wrk");

    public static async Task<WrkResult> RunAsync(string url, Scenario scenario, TimeSpan duration, int connections, int threads)
    {
        var script = Path.Combine(Path.GetTempPath(), $"parley-bench-{scenario}.lua");
        var headers = scenario switch
        {
            Scenario.ConversationHeader => """wrk.headers["X-Parley-Conversation"] = "conv_bench_1" """,
            Scenario.Streaming => """wrk.headers["X-Bench-Stream"] = "1" """,
            _ => "",
        };
        await File.WriteAllTextAsync(script, ScriptTemplate.Replace("{{HEADERS}}", headers, StringComparison.Ordinal));
        var info = new ProcessStartInfo("wrk") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in new[] { "-t", threads.ToString(CultureInfo.InvariantCulture), "-c", connections.ToString(CultureInfo.InvariantCulture),
                     "-d", $"{(int)duration.TotalSeconds}s", "-s", script, url + "/v1/chat/completions" })
        {
            info.ArgumentList.Add(arg);
        }
        using var process = Process.Start(info) ?? throw new InvalidOperationException("could not start wrk");
        var output = await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        foreach (var line in output.Split('\n'))
        {
            if (line.StartsWith("PARLEY ", StringComparison.Ordinal))
            {
                var f = line.Split(' ');
                long At(int i) => long.Parse(f[i], CultureInfo.InvariantCulture);
                return new WrkResult(At(1), TimeSpan.FromMicroseconds(At(2)), At(3), At(4) / 1000.0, At(5) / 1000.0);
            }
        }
        throw new InvalidOperationException("wrk printed no summary: " + output + await process.StandardError.ReadToEndAsync());
    }
}

internal enum Scenario
{
    /// <summary>No conversation in path or header: the front end reads the small JSON body to look for one.</summary>
    BodyPeek,
    /// <summary>The conversation in the header: the body streams through untouched.</summary>
    ConversationHeader,
    /// <summary>A streamed answer: server-sent events, each flushed.</summary>
    Streaming,
}

internal sealed record WrkResult(long Requests, TimeSpan Duration, long Errors, double P50Ms, double P99Ms)
{
    public double RequestsPerSecond => Requests / Duration.TotalSeconds;
}
