using System.ClientModel;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using OpenAI;
using OpenAI.Batch;
using OpenAI.Files;
using Parley.Cluster.Testing.Infrastructure;
using Xunit.Abstractions;

namespace Parley.Cluster.Tests;

/// <summary>The Batch API on a 3-silo cluster, driven by the official OpenAI .NET SDK through the front end, while the
/// silo running the batch is killed (SIGKILL) mid-batch. Its own cluster, since it breaks it.</summary>
public sealed class BatchClusterTests(ITestOutputHelper output)
{
    private const int Lines = 80;
    private const int BatchConcurrency = 4;
    private const int UserConcurrency = 2;
    private const int UpstreamPerWindow = 8;
    private const int KillAfterCompleted = 20;
    private const string UpstreamKey = "sk-upstream-batch-cluster-0123456789";
    private static readonly TimeSpan UpstreamWindow = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan BatchTimeout = TimeSpan.FromSeconds(75);

    [Fact]
    public async Task The_SDK_batch_flow_survives_killing_the_batchs_silo_with_every_line_answered_once_and_none_sent_twice()
    {
        var settings = new Dictionary<string, string?>
        {
            ["Parley__Providers__sim__ApiKey"] = null,
            ["Parley__Providers__sim__Keys__0__Id"] = "batch-key",
            ["Parley__Providers__sim__Keys__0__ApiKey"] = UpstreamKey,
            ["Parley__Providers__sim__Keys__0__RequestsPerMinute"] = (UpstreamPerWindow * 60).ToString(CultureInfo.InvariantCulture),
            ["Parley__Providers__sim__Pool__MaxPacingWait"] = "00:00:20",
            ["Parley__Batch__RequestsPerSecond"] = "20",
            ["Parley__Batch__MaxConcurrency"] = BatchConcurrency.ToString(CultureInfo.InvariantCulture),
            ["Parley__Batch__ReminderPeriod"] = "00:00:05",
            // A killed silo's concurrency reservations lapse within seconds, so its lines' slots come back.
            ["Parley__Quotas__ReservationTtl"] = "00:00:05",
        };
        await using var cluster = await TestCluster.StartAsync(sim =>
        {
            sim.ApiKeys = [UpstreamKey];
            sim.RequestsPerWindow = UpstreamPerWindow;
            sim.RateLimitWindow = UpstreamWindow;
            sim.TimeToFirstToken = TimeSpan.FromMilliseconds(150);
            sim.RecordedRequests = Lines * 4;
        }, settings);
        var admin = cluster.Client(cluster.FrontEndUrl, TestCluster.AdminKey);
        var (userId, key) = await CreateUserAsync(cluster, admin);
        foreach (var silo in cluster.Silos)
        {
            using var limits = await cluster.Client(silo.Url, TestCluster.AdminKey).PutAsync($"admin/users/{userId}/limits",
                Http.Json($$"""{"concurrent_requests":{{UserConcurrency}}}"""));
            await Http.ReadSuccessJsonAsync(limits);
        }
        var openAI = new OpenAIClient(new ApiKeyCredential(key), new OpenAIClientOptions { Endpoint = new Uri(cluster.FrontEndUrl + "/v1") });
        var fileClient = openAI.GetOpenAIFileClient();
        var batchClient = openAI.GetBatchClient();
        cluster.Simulator.State.Reset();

        // Upload → create, through the front end.
        OpenAIFile input = await fileClient.UploadFileAsync(BinaryData.FromString(InputFile()), "lines.jsonl", FileUploadPurpose.Batch);
        Assert.Equal(Encoding.UTF8.GetByteCount(InputFile()), input.SizeInBytes);
        var operation = await batchClient.CreateBatchAsync(BinaryContent.Create(BinaryData.FromString(
            $$$"""{"input_file_id":"{{{input.Id}}}","endpoint":"/v1/chat/completions","completion_window":"24h","metadata":{"run":"chaos"}}""")), waitUntilCompleted: false);
        var batchId = operation.BatchId;

        // Sample the upstream's calls in flight throughout (the user may have 2 at once).
        using var sampling = new CancellationTokenSource();
        var maxInFlight = 0L;
        var sampler = Task.Run(async () =>
        {
            while (!sampling.IsCancellationRequested)
            {
                maxInFlight = Math.Max(maxInFlight, cluster.Simulator.State.InFlight);
                await Task.Delay(5, CancellationToken.None);
            }
        });

        // Kill the silo running the batch once a quarter of its lines are answered.
        var clock = Stopwatch.StartNew();
        string host;
        while (true)
        {
            var (silo, completed) = await InspectAsync(admin, batchId);
            if (completed >= KillAfterCompleted)
            {
                host = silo;
                break;
            }
            Assert.True(clock.Elapsed < BatchTimeout, $"the batch answered {completed} lines in {clock.Elapsed}");
            await Task.Delay(50);
        }
        var victim = cluster.Silos.Single(s => s.Address.ToString() == host.TrimStart('S').Split(':')[0]);
        victim.Kill();
        output.WriteLine($"Killed {host} after {clock.Elapsed.TotalSeconds:0.0} s.");

        // Poll as the SDK does until the batch ends; answers during the failover may be refusals, retried.
        JsonElement batch;
        while (true)
        {
            Assert.True(clock.Elapsed < BatchTimeout, $"the batch did not finish within {BatchTimeout}");
            try
            {
                await operation.UpdateStatusAsync();
                if (operation.HasCompleted)
                {
                    batch = JsonDocument.Parse((await operation.GetBatchAsync(new System.ClientModel.Primitives.RequestOptions())).GetRawResponse().Content).RootElement.Clone();
                    break;
                }
            }
            catch (ClientResultException e) when (e.Status is 502 or 503 or 504)
            {
                output.WriteLine($"{clock.Elapsed.TotalSeconds:0.0} s: polling answered {e.Status}");
            }
            await Task.Delay(250);
        }
        await sampling.CancelAsync();
        await sampler;
        output.WriteLine($"Finished after {clock.Elapsed.TotalSeconds:0.0} s: {batch.GetProperty("request_counts")}");

        Assert.Equal("completed", batch.GetProperty("status").GetString());
        Assert.Equal(batchId, batch.GetProperty("id").GetString());
        Assert.Equal("chaos", batch.GetProperty("metadata").GetProperty("run").GetString());
        var results = new List<JsonElement>();
        foreach (var fileId in new[] { batch.GetProperty("output_file_id"), batch.GetProperty("error_file_id") })
        {
            if (fileId.ValueKind == JsonValueKind.String)
            {
                BinaryData content = await fileClient.DownloadFileAsync(fileId.GetString()!);
                results.AddRange(content.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement.Clone()));
            }
        }

        // Every line answered exactly once, in the output or the error file.
        Assert.Equal(Enumerable.Range(0, Lines).Select(CustomId).Order(), results.Select(r => r.GetProperty("custom_id").GetString()!).Order());
        var succeeded = results.Where(r => r.GetProperty("response").ValueKind == JsonValueKind.Object).ToList();
        var failed = results.Except(succeeded).ToList();
        Assert.All(succeeded, r => Assert.Equal(200, r.GetProperty("response").GetProperty("status_code").GetInt32()));
        Assert.All(succeeded, r => Assert.Contains("Echo: " + Prompt(r.GetProperty("custom_id").GetString()!),
            r.GetProperty("response").GetProperty("body").GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString(), StringComparison.Ordinal));
        // Only lines in flight on the killed silo may lack an answer: reported as interrupted, never re-sent.
        Assert.All(failed, r => Assert.Equal("line_interrupted", r.GetProperty("error").GetProperty("code").GetString()));
        Assert.True(failed.Count <= BatchConcurrency, $"{failed.Count} lines interrupted");
        var counts = batch.GetProperty("request_counts");
        Assert.Equal((Lines, succeeded.Count, failed.Count), (counts.GetProperty("total").GetInt32(), counts.GetProperty("completed").GetInt32(), counts.GetProperty("failed").GetInt32()));

        // The simulator's request log: no line sent twice, every answered line sent exactly once.
        var sent = cluster.Simulator.State.RecentRequests
            .Select(r => JsonDocument.Parse(r.Body).RootElement.GetProperty("messages")[0].GetProperty("content").GetString()!)
            .GroupBy(p => p).ToDictionary(g => g.Key, g => g.Count());
        Assert.All(sent, p => Assert.Equal(1, p.Value));
        Assert.All(succeeded, r => Assert.True(sent.ContainsKey(Prompt(r.GetProperty("custom_id").GetString()!))));
        Assert.True(sent.Count <= Lines);
        // The upstream never refused, and the user's concurrency quota held.
        Assert.Equal(0, cluster.Simulator.State.RateLimited);
        Assert.True(maxInFlight <= UserConcurrency, $"{maxInFlight} upstream calls at once for a user allowed {UserConcurrency}");
        output.WriteLine($"{succeeded.Count} answered, {failed.Count} interrupted, {sent.Count} sent upstream, at most {maxInFlight} at once.");
    }

    private static string CustomId(int line) => $"request-{line:D3}";

    private static string Prompt(string customId) => $"batch line {customId}";

    private static string InputFile()
        => string.Concat(Enumerable.Range(0, Lines).Select(i =>
            $$$"""{"custom_id":"{{{CustomId(i)}}}","method":"POST","url":"/v1/chat/completions","body":{"model":"{{{TestCluster.Model}}}","messages":[{"role":"user","content":"{{{Prompt(CustomId(i))}}}"}]}}""" + "\n"));

    private static async Task<(string UserId, string Key)> CreateUserAsync(TestCluster cluster, HttpClient admin)
    {
        using var user = await admin.PostAsync("admin/users", Http.Json("""{"name":"batch-user"}"""));
        var userId = (await Http.ReadSuccessJsonAsync(user)).GetProperty("id").GetString()!;
        using var created = await admin.PostAsync($"admin/users/{userId}/keys", Http.Json("""{"name":"batch-user"}"""));
        return (userId, (await Http.ReadSuccessJsonAsync(created)).GetProperty("key").GetString()!);
    }

    /// <summary>The silo the batch runs on and how many lines it has answered, from the operator's view.</summary>
    private static async Task<(string Silo, int Completed)> InspectAsync(HttpClient admin, string batchId)
    {
        using var response = await admin.GetAsync($"admin/batches/{batchId}");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        var counts = json.GetProperty("batch").GetProperty("request_counts");
        return (json.GetProperty("silo").GetString()!, counts.GetProperty("completed").GetInt32() + counts.GetProperty("failed").GetInt32());
    }
}
