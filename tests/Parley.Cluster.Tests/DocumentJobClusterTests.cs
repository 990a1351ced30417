using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using Parley.Cluster.Testing.Infrastructure;
using Xunit.Abstractions;

namespace Parley.Cluster.Tests;

/// <summary>A long-document job on a 3-silo cluster, through the front end, while the silo running it is killed
/// (SIGKILL) in the middle of its map stage: the job completes on another silo, every chunk is answered, and only the
/// calls that were in flight on the killed silo are sent again. Its own cluster, since it breaks it.</summary>
public sealed class DocumentJobClusterTests(ITestOutputHelper output)
{
    private const int Concurrency = 4;
    private const int KillAfterCompleted = 10;
    private static readonly TimeSpan JobTimeout = TimeSpan.FromSeconds(75);

    [Fact]
    public async Task A_document_job_survives_killing_its_silo_and_sends_again_only_the_calls_in_flight()
    {
        var settings = new Dictionary<string, string?>
        {
            [$"Parley__Models__{TestCluster.Model}__ContextWindow"] = "512",
            ["Parley__Batch__ReminderPeriod"] = "00:00:05",
        };
        await using var cluster = await TestCluster.StartAsync(sim =>
        {
            sim.TimeToFirstToken = TimeSpan.FromMilliseconds(150);
            sim.ResponseTokens = 40;
            sim.RecordedRequests = 1000;
        }, settings);
        var admin = cluster.Client(cluster.FrontEndUrl, TestCluster.AdminKey);
        var key = await cluster.CreateUserKeyAsync("document-user");
        var client = cluster.Client(cluster.FrontEndUrl, key);
        cluster.Simulator.State.Reset();

        var text = Document(paragraphs: 150);
        using var created = await client.PostAsync("v1/document_jobs", Http.Json(JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["model"] = TestCluster.Model, ["input"] = text, ["max_output_tokens"] = 48, ["chunk_tokens"] = 200, ["overlap_tokens"] = 20,
            ["concurrency"] = Concurrency,
        })));
        var jobId = (await Http.ReadSuccessJsonAsync(created)).GetProperty("id").GetString()!;

        // Kill the silo running the job once part of its map stage is answered.
        var clock = Stopwatch.StartNew();
        string host;
        int chunks;
        while (true)
        {
            using var inspect = await admin.GetAsync($"admin/document_jobs/{jobId}");
            var json = await Http.ReadSuccessJsonAsync(inspect);
            var progress = json.GetProperty("job").GetProperty("progress");
            if (progress.GetProperty("stage").GetString() == "map" && progress.GetProperty("completed").GetInt32() >= KillAfterCompleted)
            {
                host = json.GetProperty("silo").GetString()!;
                chunks = json.GetProperty("job").GetProperty("chunks").GetInt32();
                break;
            }
            Assert.True(clock.Elapsed < JobTimeout, $"the job did not reach its map stage: {json}");
            await Task.Delay(20);
        }
        Assert.True(chunks > KillAfterCompleted + (2 * Concurrency), $"{chunks} chunks");
        var victim = cluster.Silos.Single(s => s.Address.ToString() == host.TrimStart('S').Split(':')[0]);
        victim.Kill();
        output.WriteLine($"Killed {host} after {clock.Elapsed.TotalSeconds:0.0} s.");

        // Poll as a front end would until the job ends; answers during the failover may be refusals, retried.
        JsonElement job;
        while (true)
        {
            Assert.True(clock.Elapsed < JobTimeout, $"the job did not finish within {JobTimeout}");
            using var response = await client.GetAsync($"v1/document_jobs/{jobId}");
            if (response.StatusCode is HttpStatusCode.BadGateway or HttpStatusCode.ServiceUnavailable or HttpStatusCode.GatewayTimeout)
            {
                output.WriteLine($"{clock.Elapsed.TotalSeconds:0.0} s: polling answered {(int)response.StatusCode}");
            }
            else
            {
                job = await Http.ReadSuccessJsonAsync(response);
                if (job.GetProperty("status").GetString() is "completed" or "failed" or "cancelled")
                {
                    break;
                }
            }
            await Task.Delay(100);
        }
        output.WriteLine($"Finished after {clock.Elapsed.TotalSeconds:0.0} s: {job.GetProperty("usage")}");

        Assert.Equal("completed", job.GetProperty("status").GetString());
        Assert.StartsWith("Echo: ", job.GetProperty("output").GetString(), StringComparison.Ordinal);
        Assert.Equal(chunks, job.GetProperty("chunks").GetInt32());
        var map = cluster.Simulator.State.RecentRequests
            .Select(r => JsonDocument.Parse(r.Body).RootElement.GetProperty("messages"))
            // The map calls: Parley's summarize instruction as the system message, a chunk as the user message.
            .Where(m => m[0].GetProperty("content").GetString()!.StartsWith("Summarize the following part", StringComparison.Ordinal))
            .GroupBy(m => m[1].GetProperty("content").GetString()!).ToDictionary(g => g.Key, g => g.Count());
        // Every chunk answered; a chunk sent twice was in flight on the killed silo, and at most the job's concurrency were.
        Assert.Equal(chunks, map.Count);
        Assert.All(map, c => Assert.InRange(c.Value, 1, 2));
        var resent = map.Count(c => c.Value == 2);
        Assert.True(resent <= Concurrency, $"{resent} chunks sent twice");
        output.WriteLine($"{chunks} chunks, {resent} sent again after the kill.");
    }

    private static string Document(int paragraphs)
    {
        var text = new StringBuilder();
        for (var i = 0; i < paragraphs; i++)
        {
            text.Append(CultureInfo.InvariantCulture, $"Section {i}. The committee met on day {i} and reviewed the budget of unit {i * 7}. ")
                .Append("Members discussed staffing, the timeline of the new building, and the risks named in the audit. ")
                .Append(CultureInfo.InvariantCulture, $"They agreed that item {i} would be revisited next quarter.\n\n");
        }
        return text.ToString();
    }
}
