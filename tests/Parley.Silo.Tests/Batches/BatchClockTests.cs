using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Parley.Silo.Tests.Infrastructure;
using Parley.Testing;
using Xunit;

namespace Parley.Silo.Tests.Batches;

/// <summary>A batch's pace, cancellation, completion window and quota waits, on a manual clock: the batch's timer, its
/// rate and the quota windows move only when the test moves the clock, so which lines start is exact.</summary>
public sealed class BatchClockTests
{
    private static readonly TimeSpan Step = TimeSpan.FromMilliseconds(50);
    private static readonly TimeSpan RealTimeout = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Cancelling_lets_the_line_in_flight_finish_and_reports_every_other_line_cancelled_without_sending_it()
    {
        var clock = new ManualTimeProvider();
        // One line per 100 s of the test's clock, and a reply that takes 300 ms of real time: line 0 is in flight, no other starts.
        await using var harness = await StartAsync(clock, requestsPerSecond: 0.01, sim => sim.TimeToFirstToken = TimeSpan.FromMilliseconds(300));
        var (_, key) = await harness.CreateUserAsync("cancel-user");
        var client = harness.CreateClient(key);
        var batchId = await CreateAsync(client, BatchFiles.Input(4, "cancel"));

        await PumpUntilAsync(clock, client, batchId, _ => harness.SimState.InFlight == 1);
        var cancelling = await BatchFiles.SuccessAsync(await client.PostAsync($"v1/batches/{batchId}/cancel", null));
        Assert.Equal("cancelling", cancelling.GetProperty("status").GetString());
        Assert.Equal(JsonValueKind.Number, cancelling.GetProperty("cancelling_at").ValueKind);
        var batch = await PumpUntilAsync(clock, client, batchId, b => b.GetProperty("status").GetString() == "cancelled");

        Assert.Equal("""{"total":4,"completed":1,"failed":3}""", batch.GetProperty("request_counts").GetRawText());
        Assert.Equal(JsonValueKind.Number, batch.GetProperty("cancelled_at").ValueKind);
        var output = Assert.Single(await BatchFiles.ContentLinesAsync(client, batch.GetProperty("output_file_id").GetString()!));
        Assert.Equal(("r0", 200), (output.GetProperty("custom_id").GetString(), output.GetProperty("response").GetProperty("status_code").GetInt32()));
        var errors = await BatchFiles.ContentLinesAsync(client, batch.GetProperty("error_file_id").GetString()!);
        Assert.Equal(["r1", "r2", "r3"], errors.Select(e => e.GetProperty("custom_id").GetString()));
        Assert.All(errors, e => Assert.Equal("batch_cancelled", e.GetProperty("error").GetProperty("code").GetString()));
        Assert.All(errors, e => Assert.Equal(JsonValueKind.Null, e.GetProperty("response").ValueKind));
        Assert.Equal(["cancel 0"], BatchFiles.SentPrompts(harness));
        // Cancelling a finished batch changes nothing.
        var again = await BatchFiles.SuccessAsync(await client.PostAsync($"v1/batches/{batchId}/cancel", null));
        Assert.Equal(batch.ToString(), again.ToString());
    }

    [Fact]
    public async Task A_batch_still_running_when_its_24_hour_window_ends_expires_with_its_unsent_lines_reported_expired()
    {
        var clock = new ManualTimeProvider();
        // One line per 100,000 s: the clock moved through the day (timers fire on the way) never allows a second one.
        await using var harness = await StartAsync(clock, requestsPerSecond: 0.00001);
        var (_, key) = await harness.CreateUserAsync("expire-user");
        var client = harness.CreateClient(key);
        var batchId = await CreateAsync(client, BatchFiles.Input(3, "expire"));
        await PumpUntilAsync(clock, client, batchId, b => b.GetProperty("request_counts").GetProperty("completed").GetInt32() == 1);

        clock.Advance(TimeSpan.FromHours(24));
        var batch = await PumpUntilAsync(clock, client, batchId, b => b.GetProperty("status").GetString() == "expired");

        Assert.Equal("""{"total":3,"completed":1,"failed":2}""", batch.GetProperty("request_counts").GetRawText());
        Assert.True(batch.GetProperty("expired_at").GetInt64() >= batch.GetProperty("expires_at").GetInt64());
        var errors = await BatchFiles.ContentLinesAsync(client, batch.GetProperty("error_file_id").GetString()!);
        Assert.Equal(["r1", "r2"], errors.Select(e => e.GetProperty("custom_id").GetString()));
        Assert.All(errors, e => Assert.Equal("batch_expired", e.GetProperty("error").GetProperty("code").GetString()));
        Assert.Equal(["expire 0"], BatchFiles.SentPrompts(harness));
    }

    [Fact]
    public async Task Lines_the_users_quota_refuses_wait_for_it_and_run_later_each_sent_once()
    {
        var clock = new ManualTimeProvider();
        await using var harness = await StartAsync(clock, requestsPerSecond: 100);
        var (userId, key) = await harness.CreateUserAsync("quota-user");
        using (var limits = await harness.CreateClient(harness.AdminKey).PutAsync($"admin/users/{userId}/limits", Http.Json("""{"requests_per_minute":2}""")))
        {
            await BatchFiles.SuccessAsync(limits);
        }
        var client = harness.CreateClient(key);
        var batchId = await CreateAsync(client, BatchFiles.Input(4, "quota"));

        // Two lines fit the minute; the other two are refused before the upstream and wait, pumped for a further 10 s.
        await PumpUntilAsync(clock, client, batchId, b => b.GetProperty("request_counts").GetProperty("completed").GetInt32() == 2);
        var waiting = await PumpUntilAsync(clock, client, batchId, _ => true, steps: 200);
        Assert.Equal(("in_progress", """{"total":4,"completed":2,"failed":0}"""),
            (waiting.GetProperty("status").GetString(), waiting.GetProperty("request_counts").GetRawText()));
        Assert.Equal(2, harness.SimState.RequestsReceived);

        clock.Advance(TimeSpan.FromSeconds(61));
        var batch = await PumpUntilAsync(clock, client, batchId, b => b.GetProperty("status").GetString() == "completed");

        Assert.Equal("""{"total":4,"completed":4,"failed":0}""", batch.GetProperty("request_counts").GetRawText());
        Assert.Equal(JsonValueKind.Null, batch.GetProperty("error_file_id").ValueKind);
        Assert.Equal(["quota 0", "quota 1", "quota 2", "quota 3"], BatchFiles.SentPrompts(harness).Order());
    }

    private static Task<SiloHarness> StartAsync(ManualTimeProvider clock, double requestsPerSecond, Action<Sim.Hosting.SimulatorOptions>? sim = null)
        => SiloHarness.StartAsync(s =>
        {
            s["Parley:Batch:RequestsPerSecond"] = requestsPerSecond.ToString(CultureInfo.InvariantCulture);
            s["Parley:Batch:MaxConcurrency"] = "4";
        }, sim, builder => builder.Services.AddSingleton<TimeProvider>(clock));

    private static async Task<string> CreateAsync(HttpClient client, string input)
        => (await BatchFiles.CreateAsync(client, await BatchFiles.UploadIdAsync(client, input))).GetProperty("id").GetString()!;

    /// <summary>Moves the clock a step at a time (each step one tick of the batch's timer) until the batch satisfies
    /// <paramref name="done"/>, or for <paramref name="steps"/> steps when given; bounded in real time.</summary>
    private static async Task<JsonElement> PumpUntilAsync(ManualTimeProvider clock, HttpClient client, string batchId, Func<JsonElement, bool> done, int? steps = null)
    {
        var deadline = DateTime.UtcNow + RealTimeout;
        for (var step = 0; ; step++)
        {
            var batch = await BatchFiles.GetAsync(client, $"v1/batches/{batchId}");
            if (steps is { } count ? step >= count : done(batch))
            {
                return batch;
            }
            Assert.True(DateTime.UtcNow < deadline, $"the batch never got there: {batch}");
            clock.Advance(Step);
            await Task.Delay(5);
        }
    }
}
