using System.Diagnostics;
using System.Globalization;
using Parley.Cluster.Testing.Infrastructure;
using Parley.Testing;

namespace Parley.Cluster.Tests;

/// <summary>bench/locust/locustfile.py, the load test users run with Debian's <c>python3-locust</c>, driven headless for a
/// few seconds against the cluster's front end: every kind of call it makes succeeds, so the file users are pointed to
/// keeps working. A missing <c>locust</c> fails the test (test.sh installs it).</summary>
public sealed class LocustTests(ClusterFixture fixture) : IClassFixture<ClusterFixture>
{
    private static readonly string LocustFile = Path.Combine(AppContext.BaseDirectory, "bench", "locust", "locustfile.py");

    [Fact]
    public async Task The_locust_file_drives_chat_conversations_and_batches_without_a_failure()
    {
        var csv = Path.Combine(Path.GetTempPath(), "parley-locust-" + Guid.NewGuid().ToString("N"));
        var (exitCode, output) = await RunLocustAsync(fixture.Cluster.FrontEndUrl, fixture.Key, csv,
            ["--headless", "-u", "10", "-r", "10", "-t", "15s"]);
        try
        {
            Assert.True(exitCode == 0, $"locust exited with {exitCode}:\n{output}");
            var stats = ReadStats(csv + "_stats.csv");
            foreach (var name in new[] { "chat", "chat (stream)", "TTFT", "stream total", "conversation create", "conversation turn", "files upload",
                "batches create", "batches retrieve", "files content", "batch completed" })
            {
                Assert.True(stats.TryGetValue(name, out var row), $"no '{name}' in locust's statistics:\n{output}");
                Assert.True(row.Requests > 0, $"'{name}': no request");
                Assert.True(row.Failures == 0, $"'{name}': {row.Failures} failures\n{output}");
            }
            Assert.Equal(0, stats["Aggregated"].Failures);
        }
        finally
        {
            foreach (var file in Directory.GetFiles(Path.GetDirectoryName(csv)!, Path.GetFileName(csv) + "*"))
            {
                File.Delete(file);
            }
        }
    }

    private static async Task<(int ExitCode, string Output)> RunLocustAsync(string host, string key, string csv, IEnumerable<string> arguments)
    {
        var info = new ProcessStartInfo(Executables.Find("locust", "python3-locust"))
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetTempPath(),
        };
        foreach (var argument in new[] { "-f", LocustFile, "--host", host, "--csv", csv, "--only-summary" }.Concat(arguments))
        {
            info.ArgumentList.Add(argument);
        }
        info.Environment["PARLEY_KEY"] = key;
        info.Environment["PARLEY_MODEL"] = TestCluster.Model;
        // Small batches polled often, so that at least one completes within the run.
        info.Environment["PARLEY_BATCH_LINES"] = "5";
        info.Environment["PARLEY_BATCH_POLL_SECONDS"] = "0.25";
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, (await stdout) + (await stderr));
    }

    /// <summary>Locust's <c>_stats.csv</c>: Type, Name, Request Count, Failure Count, … per row.</summary>
    private static Dictionary<string, (long Requests, long Failures)> ReadStats(string path)
    {
        var rows = new Dictionary<string, (long, long)>(StringComparer.Ordinal);
        var lines = File.ReadAllLines(path);
        var header = lines[0].Split(',');
        var name = Array.IndexOf(header, "Name");
        var requests = Array.IndexOf(header, "Request Count");
        var failures = Array.IndexOf(header, "Failure Count");
        foreach (var line in lines.Skip(1))
        {
            var cells = line.Split(',');
            rows[cells[name].Trim('"')] = (long.Parse(cells[requests], CultureInfo.InvariantCulture), long.Parse(cells[failures], CultureInfo.InvariantCulture));
        }
        return rows;
    }
}
