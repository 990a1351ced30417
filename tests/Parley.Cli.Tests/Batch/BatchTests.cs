using System.Diagnostics;
using System.Text.Json;
using Parley.Cli.Tests.Infrastructure;
using Parley.Sim.Faults;
using Parley.Sim.Hosting;

namespace Parley.Cli.Tests.Batch;

public sealed class BatchSilo : CliSilo
{
    /// <summary>Each answer takes a little while, so a paced batch is still running when a test interrupts it.</summary>
    protected override void ConfigureSimulator(SimulatorOptions options) => options.TimeToFirstToken = TimeSpan.FromMilliseconds(20);
}

/// <summary>`parley batch` as a process against a real silo and simulator: every line answered once, failures in the
/// error file, retries, and an interrupted or killed run resumed without sending a finished line again (the
/// simulator's request log is the proof).</summary>
public sealed class BatchTests(BatchSilo silo) : IClassFixture<BatchSilo>, IAsyncLifetime
{
    private ParleyProcess _cli = null!;
    private string _directory = "";

    public async Task InitializeAsync()
    {
        silo.SimState.Reset();
        silo.Simulator.Faults.Reset();
        _cli = ParleyProcess.WithTemporaryHome();
        _directory = _cli.Home;
        await _cli.LoginAsync(silo.Server, silo.UserKey);
    }

    public Task DisposeAsync()
    {
        silo.Simulator.Faults.Reset();
        return Task.CompletedTask;
    }

    private string Output => Path.Combine(_directory, "out.jsonl");

    private string Errors => Path.Combine(_directory, "out.errors.jsonl");

    [Fact]
    public async Task Every_line_is_answered_once_in_OpenAI_batch_format()
    {
        var input = BatchFiles.Write(_directory, 60);

        var result = await _cli.RunAsync(["batch", input, "-o", Output, "--concurrency", "6", "--json"]);

        Assert.True(result.ExitCode == 0, result.ToString());
        var summary = JsonDocument.Parse(result.Output).RootElement;
        Assert.Equal(60, summary.GetProperty("total").GetInt32());
        Assert.Equal(60, summary.GetProperty("done").GetInt32());
        Assert.Equal(0, summary.GetProperty("failed").GetInt32());
        Assert.Equal(60, summary.GetProperty("requests").GetInt32());
        var lines = BatchFiles.ReadLines(Output);
        Assert.Equal(Enumerable.Range(0, 60).Select(BatchFiles.CustomId).Order(), lines.Select(l => l.GetProperty("custom_id").GetString()!).Order());
        foreach (var line in lines)
        {
            Assert.StartsWith("batch_req_", line.GetProperty("id").GetString(), StringComparison.Ordinal);
            Assert.Equal(JsonValueKind.Null, line.GetProperty("error").ValueKind);
            var response = line.GetProperty("response");
            Assert.Equal(200, response.GetProperty("status_code").GetInt32());
            Assert.StartsWith("req_", response.GetProperty("request_id").GetString(), StringComparison.Ordinal);
            var marker = BatchFiles.Marker(int.Parse(line.GetProperty("custom_id").GetString()!["line-".Length..], System.Globalization.CultureInfo.InvariantCulture));
            var content = response.GetProperty("body").GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString();
            Assert.StartsWith("Echo: " + marker, content, StringComparison.Ordinal);
        }
        Assert.Equal("", File.ReadAllText(Errors));
        var upstream = silo.UpstreamUserMessages();
        Assert.Equal(Enumerable.Range(0, 60).Select(BatchFiles.Marker).Order(), upstream.Order());
    }

    [Fact]
    public async Task With_remote_the_file_runs_on_the_servers_Batch_API_and_its_output_is_downloaded_every_line_once()
    {
        var input = BatchFiles.Write(_directory, 20, i => i == 7 ? "no-such-model" : CliSilo.Model);

        var result = await _cli.RunAsync(["batch", input, "-o", Output, "--remote", "--json"]);

        Assert.True(result.ExitCode == 1, result.ToString());
        var summary = JsonDocument.Parse(result.Output).RootElement;
        Assert.True(summary.GetProperty("remote").GetBoolean());
        Assert.StartsWith("batch_", summary.GetProperty("batch_id").GetString(), StringComparison.Ordinal);
        Assert.Equal(("completed", 20, 19, 1), (summary.GetProperty("status").GetString(), summary.GetProperty("total").GetInt32(),
            summary.GetProperty("done").GetInt32(), summary.GetProperty("failed").GetInt32()));
        var lines = BatchFiles.ReadLines(Output);
        Assert.Equal(Enumerable.Range(0, 20).Where(i => i != 7).Select(BatchFiles.CustomId), lines.Select(l => l.GetProperty("custom_id").GetString()!));
        Assert.All(lines, l => Assert.Equal(200, l.GetProperty("response").GetProperty("status_code").GetInt32()));
        var failed = Assert.Single(BatchFiles.ReadLines(Errors));
        Assert.Equal((BatchFiles.CustomId(7), 404), (failed.GetProperty("custom_id").GetString(), failed.GetProperty("response").GetProperty("status_code").GetInt32()));
        Assert.Equal(Enumerable.Range(0, 20).Where(i => i != 7).Select(BatchFiles.Marker).Order(), silo.UpstreamUserMessages().Order());
    }

    [Fact]
    public async Task Remote_refuses_the_local_only_options()
    {
        var input = BatchFiles.Write(_directory, 2);

        var result = await _cli.RunAsync(["batch", input, "-o", Output, "--remote", "--qps", "5"]);

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("--qps, --restart and --retry-failed apply to local runs", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Interrupted_with_ctrl_c_and_resumed_no_line_is_sent_twice()
    {
        const int total = 300;
        var input = BatchFiles.Write(_directory, total);
        using var first = Process.Start(_cli.StartInfo(["batch", input, "-o", Output, "--qps", "25", "--concurrency", "4"]))!;
        var firstOutput = first.StandardOutput.ReadToEndAsync();
        var firstError = first.StandardError.ReadToEndAsync();
        await WaitForLinesAsync(Output, 50, first);

        SendSignal(first.Id, "INT");
        await first.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));

        Assert.True(first.ExitCode == 130, $"exit {first.ExitCode}: {await firstOutput} {await firstError}");
        Assert.Contains("batch: stopping: finishing the", await firstError, StringComparison.Ordinal);
        Assert.Contains("rerun the same command to resume.", await firstOutput, StringComparison.Ordinal);
        var afterFirst = BatchFiles.ReadLines(Output);
        Assert.InRange(afterFirst.Count, 50, total - 1);
        // Draining finished every line in flight: what reached the upstream is exactly what was written.
        Assert.Equal(afterFirst.Select(l => Marker(l)).Order(), silo.UpstreamUserMessages().Order());

        var second = await _cli.RunAsync(["batch", input, "-o", Output, "--concurrency", "8", "--json"]);

        Assert.True(second.ExitCode == 0, second.ToString());
        var summary = JsonDocument.Parse(second.Output).RootElement;
        Assert.Equal(afterFirst.Count, summary.GetProperty("finished_before").GetInt32());
        Assert.Equal(total - afterFirst.Count, summary.GetProperty("done").GetInt32());
        Assert.Equal(0, summary.GetProperty("resent_after_kill").GetInt32());
        var all = BatchFiles.ReadLines(Output);
        Assert.Equal(Enumerable.Range(0, total).Select(BatchFiles.CustomId).Order(), all.Select(l => l.GetProperty("custom_id").GetString()!).Order());
        var upstream = silo.UpstreamUserMessages();
        Assert.Equal(total, upstream.Count);
        Assert.Equal(Enumerable.Range(0, total).Select(BatchFiles.Marker).Order(), upstream.Order());
    }

    [Fact]
    public async Task Killed_and_resumed_every_line_is_written_once_and_only_lines_in_flight_at_the_kill_are_sent_again()
    {
        const int total = 200;
        const int concurrency = 4;
        var input = BatchFiles.Write(_directory, total);
        using var first = Process.Start(_cli.StartInfo(["batch", input, "-o", Output, "--qps", "25", "--concurrency", concurrency.ToString(System.Globalization.CultureInfo.InvariantCulture)]))!;
        _ = first.StandardOutput.ReadToEndAsync();
        _ = first.StandardError.ReadToEndAsync();
        await WaitForLinesAsync(Output, 40, first);

        first.Kill();
        await first.WaitForExitAsync();
        var inFlightAtKill = UnfinishedSends(Output + ".journal");

        var second = await _cli.RunAsync(["batch", input, "-o", Output, "--json"]);

        Assert.True(second.ExitCode == 0, second.ToString());
        Assert.InRange(inFlightAtKill.Count, 0, concurrency);
        Assert.Equal(inFlightAtKill.Count, JsonDocument.Parse(second.Output).RootElement.GetProperty("resent_after_kill").GetInt32());
        var all = BatchFiles.ReadLines(Output);
        Assert.Equal(Enumerable.Range(0, total).Select(BatchFiles.CustomId).Order(), all.Select(l => l.GetProperty("custom_id").GetString()!).Order());
        var upstream = silo.UpstreamUserMessages();
        var twice = upstream.GroupBy(m => m).Where(g => g.Count() > 1).Select(g => g.Key).ToHashSet();
        Assert.All(upstream.GroupBy(m => m), g => Assert.InRange(g.Count(), 1, 2));
        Assert.Subset(inFlightAtKill.Select(id => BatchFiles.Marker(int.Parse(id["line-".Length..], System.Globalization.CultureInfo.InvariantCulture))).ToHashSet(), twice);
        Assert.Equal(total, upstream.Distinct().Count());
    }

    [Fact]
    public async Task A_refused_line_goes_to_the_error_file_unretried_and_the_exit_code_is_1()
    {
        var input = BatchFiles.Write(_directory, 5, i => i == 2 ? "no-such-model" : CliSilo.Model);

        var result = await _cli.RunAsync(["batch", input, "-o", Output]);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains($"failures: {Errors}", result.Output, StringComparison.Ordinal);
        Assert.Equal(4, BatchFiles.ReadLines(Output).Count);
        var error = Assert.Single(BatchFiles.ReadLines(Errors));
        Assert.Equal(BatchFiles.CustomId(2), error.GetProperty("custom_id").GetString());
        Assert.Equal(404, error.GetProperty("response").GetProperty("status_code").GetInt32());
        Assert.Equal("model_not_found", error.GetProperty("error").GetProperty("code").GetString());
        Assert.Equal("model_not_found", error.GetProperty("response").GetProperty("body").GetProperty("error").GetProperty("code").GetString());

        // A rerun does not send a failed line again unless asked to.
        var rerun = await _cli.RunAsync(["batch", input, "-o", Output, "--json"]);
        Assert.Equal(1, rerun.ExitCode);
        Assert.Equal(0, JsonDocument.Parse(rerun.Output).RootElement.GetProperty("requests").GetInt32());
        var retried = await _cli.RunAsync(["batch", input, "-o", Output, "--json", "--retry-failed"]);
        Assert.Equal(1, JsonDocument.Parse(retried.Output).RootElement.GetProperty("requests").GetInt32());
    }

    [Fact]
    public async Task Upstream_5xx_are_retried_until_every_line_is_answered()
    {
        silo.Simulator.Faults.Set(FaultRates.From(silo.Simulator.Options) with { ServerErrorRate = 0.3 }, seed: 7);
        var input = BatchFiles.Write(_directory, 40);

        var result = await _cli.RunAsync(["batch", input, "-o", Output, "--max-retries", "10", "--json"]);

        Assert.True(result.ExitCode == 0, result.ToString());
        var summary = JsonDocument.Parse(result.Output).RootElement;
        var retries = summary.GetProperty("retries").GetInt32();
        Assert.True(retries > 0, "30 % of the upstream calls failed; some lines needed retries");
        Assert.Equal(40 + retries, summary.GetProperty("requests").GetInt32());
        Assert.Equal(40 + retries, silo.UpstreamUserMessages().Count);
        Assert.Equal(40, BatchFiles.ReadLines(Output).Select(l => l.GetProperty("custom_id").GetString()).Distinct().Count());
        Assert.Equal("", File.ReadAllText(Errors));
    }

    [Theory]
    [InlineData("{\"custom_id\":\"a\",\"body\":{\"model\":\"m\",\"messages\":[]}}\n{\"custom_id\":\"a\",\"body\":{\"model\":\"m\",\"messages\":[]}}\n", ":2: custom_id 'a' appears twice")]
    [InlineData("{\"custom_id\":\"a\",\"url\":\"/v1/embeddings\",\"body\":{\"model\":\"m\"}}\n", ":1: url '/v1/embeddings' is not supported")]
    [InlineData("not json\n", ":1: not valid JSON")]
    [InlineData("{\"body\":{}}\n", ":1: missing custom_id")]
    public async Task A_bad_input_file_is_refused_before_anything_is_sent(string content, string message)
    {
        var input = Path.Combine(_directory, "bad.jsonl");
        await File.WriteAllTextAsync(input, content);

        var result = await _cli.RunAsync(["batch", input, "-o", Output]);

        Assert.Equal(2, result.ExitCode);
        Assert.StartsWith("parley: error: " + input + message, result.Error, StringComparison.Ordinal);
        Assert.Equal(0, silo.SimState.RequestsReceived);
        Assert.False(File.Exists(Output));
    }

    private static string Marker(JsonElement outputLine)
        => BatchFiles.Marker(int.Parse(outputLine.GetProperty("custom_id").GetString()!["line-".Length..], System.Globalization.CultureInfo.InvariantCulture));

    private static HashSet<string> UnfinishedSends(string journal)
    {
        var sent = new HashSet<string>();
        foreach (var line in File.ReadAllLines(journal))
        {
            JsonElement record;
            try
            {
                record = JsonDocument.Parse(line).RootElement;
            }
            catch (JsonException)
            {
                continue;
            }
            var id = record.TryGetProperty("custom_id", out var value) ? value.GetString() : null;
            switch (record.GetProperty("type").GetString())
            {
                case "sent":
                    sent.Add(id!);
                    break;
                case "done" or "failed":
                    sent.Remove(id!);
                    break;
            }
        }
        return sent;
    }

    private static async Task WaitForLinesAsync(string path, int lines, Process process)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (BatchFiles.CountLines(path) < lines)
        {
            Assert.False(process.HasExited, "the batch ended before the test could interrupt it");
            Assert.True(DateTime.UtcNow < deadline, $"{path} did not reach {lines} lines");
            await Task.Delay(20);
        }
    }

    private static void SendSignal(int pid, string signal)
    {
        using var kill = Process.Start("kill", ["-" + signal, pid.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        kill.WaitForExit();
        Assert.Equal(0, kill.ExitCode);
    }
}
