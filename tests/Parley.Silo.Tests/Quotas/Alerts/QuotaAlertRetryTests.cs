using Microsoft.Extensions.Logging;
using Parley.Silo.Quotas.Alerts;
using Parley.Testing;
using Xunit;

namespace Parley.Silo.Tests.Quotas.Alerts;

public sealed class QuotaAlertRetryTests
{
    private static readonly DateTimeOffset T0 = ManualTimeProvider.DefaultStart;

    [Fact]
    public async Task Server_errors_are_retried_until_success_with_exponential_delays_on_the_clock()
    {
        var time = new ManualTimeProvider();
        await using var receiver = await WebhookReceiver.StartAsync(time);
        receiver.RespondWith(n => n <= 3 ? 500 : 200);
        await using var rig = await AlertRig.StartAsync(Options(receiver, maxAttempts: 5), time);

        rig.Publish(AlertRig.TokensPerDay("user_1", 80));
        var attempts = new List<ReceivedWebhook> { await receiver.NextAsync() };
        attempts.Add(await NextAttemptAfterAsync(rig, receiver, TimeSpan.FromSeconds(1), retries: 1));
        attempts.Add(await NextAttemptAfterAsync(rig, receiver, TimeSpan.FromSeconds(2), retries: 2));
        attempts.Add(await NextAttemptAfterAsync(rig, receiver, TimeSpan.FromSeconds(4), retries: 3));
        await rig.Metrics.WaitForOutcomeAsync(QuotaAlertMetrics.Delivered, 1);

        Assert.Equal([T0, T0.AddSeconds(1), T0.AddSeconds(3), T0.AddSeconds(7)], attempts.Select(a => a.ReceivedAt));
        Assert.All(attempts, a => Assert.Equal(attempts[0].Text, a.Text));
        Assert.All(attempts, a => Assert.Equal(attempts[0].Headers["x-parley-delivery"], a.Headers["x-parley-delivery"]));
        Assert.Equal(3, rig.Logger.Records.Count(r => r.EventId == 2454 && r.Level == LogLevel.Information));
        Assert.Equal(0, time.ActiveTimerCount);
        Assert.Equal(4, receiver.Count);
    }

    [Fact]
    public async Task Delays_are_drawn_below_a_doubling_bound_that_is_capped()
    {
        var time = new ManualTimeProvider();
        await using var receiver = await WebhookReceiver.StartAsync(time);
        receiver.RespondWith(n => n <= 3 ? 503 : 200);
        var options = Options(receiver, maxAttempts: 4);
        options.FirstRetryDelay = TimeSpan.FromSeconds(2);
        options.MaxRetryDelay = TimeSpan.FromSeconds(3);
        await using var rig = await AlertRig.StartAsync(options, time, jitter: 0.5);

        rig.Publish(AlertRig.TokensPerDay("user_1", 50));
        await receiver.NextAsync();
        // Bounds 2 s, 4 s → 3 s (cap), 8 s → 3 s; the draw is half of each.
        await NextAttemptAfterAsync(rig, receiver, TimeSpan.FromSeconds(1), retries: 1);
        await NextAttemptAfterAsync(rig, receiver, TimeSpan.FromSeconds(1.5), retries: 2);
        var last = await NextAttemptAfterAsync(rig, receiver, TimeSpan.FromSeconds(1.5), retries: 3);
        await rig.Metrics.WaitForOutcomeAsync(QuotaAlertMetrics.Delivered, 1);
        Assert.Equal(T0.AddSeconds(4), last.ReceivedAt);
    }

    [Theory]
    [InlineData(408)]
    [InlineData(429)]
    [InlineData(500)]
    [InlineData(502)]
    [InlineData(503)]
    [InlineData(504)]
    public async Task Timeouts_throttling_and_server_errors_are_retried(int status)
    {
        var time = new ManualTimeProvider();
        await using var receiver = await WebhookReceiver.StartAsync(time);
        receiver.RespondWith(n => n == 1 ? status : 200);
        await using var rig = await AlertRig.StartAsync(Options(receiver, maxAttempts: 2), time);

        rig.Publish(AlertRig.TokensPerDay("user_1", 50));
        await receiver.NextAsync();
        var retry = await NextAttemptAfterAsync(rig, receiver, TimeSpan.FromSeconds(1), retries: 1);
        await rig.Metrics.WaitForOutcomeAsync(QuotaAlertMetrics.Delivered, 1);
        Assert.Equal(T0.AddSeconds(1), retry.ReceivedAt);
    }

    [Theory]
    [InlineData(400)]
    [InlineData(401)]
    [InlineData(403)]
    [InlineData(404)]
    [InlineData(422)]
    public async Task Other_client_errors_are_not_retried(int status)
    {
        var time = new ManualTimeProvider();
        await using var receiver = await WebhookReceiver.StartAsync(time);
        receiver.RespondWith(n => n == 1 ? status : 200);
        await using var rig = await AlertRig.StartAsync(Options(receiver, maxAttempts: 5), time);

        rig.Publish(AlertRig.TokensPerDay("user_1", 50));
        await receiver.NextAsync();
        await rig.Metrics.WaitForOutcomeAsync(QuotaAlertMetrics.Rejected, 1);
        Assert.Equal(0, time.ActiveTimerCount);

        // The loop moved on: the next request is the next alert, not a retry of the refused one.
        rig.Publish(AlertRig.TokensPerDay("user_2", 50));
        var next = await receiver.NextAsync();
        Assert.Contains("\"user_id\":\"user_2\"", next.Text, StringComparison.Ordinal);
        Assert.Equal(0, rig.Metrics.WebhookOutcomes(QuotaAlertMetrics.Retry));
        Assert.Single(rig.Logger.Records, r => r.EventId == 2456 && r.Level == LogLevel.Warning
            && r.Message == $"Quota alert webhook for user {rig.Pseudonym("user_1")} was refused with status {status}; not retried");
    }

    [Fact]
    public async Task Delivery_gives_up_after_max_attempts_and_the_loop_goes_on()
    {
        var time = new ManualTimeProvider();
        await using var receiver = await WebhookReceiver.StartAsync(time);
        receiver.RespondWith(n => n <= 3 ? 500 : 200);
        await using var rig = await AlertRig.StartAsync(Options(receiver, maxAttempts: 3), time);

        rig.Publish(AlertRig.TokensPerDay("user_1", 100, used: 1000));
        await receiver.NextAsync();
        await NextAttemptAfterAsync(rig, receiver, TimeSpan.FromSeconds(1), retries: 1);
        await NextAttemptAfterAsync(rig, receiver, TimeSpan.FromSeconds(2), retries: 2);
        await rig.Metrics.WaitForOutcomeAsync(QuotaAlertMetrics.Failed, 1);

        Assert.Equal(0, time.ActiveTimerCount);
        Assert.Equal(3, receiver.Count);
        Assert.Equal(2, rig.Metrics.WebhookOutcomes(QuotaAlertMetrics.Retry));
        Assert.Single(rig.Logger.Records, r => r.EventId == 2455 && r.Level == LogLevel.Warning
            && r.Message == $"Quota alert webhook for user {rig.Pseudonym("user_1")} gave up after 3 attempts (status 500)");

        rig.Publish(AlertRig.TokensPerDay("user_2", 50));
        var next = await receiver.NextAsync();
        Assert.Contains("\"user_id\":\"user_2\"", next.Text, StringComparison.Ordinal);
        await rig.Metrics.WaitForOutcomeAsync(QuotaAlertMetrics.Delivered, 1);
    }

    [Fact]
    public async Task Connection_failures_are_retried()
    {
        var time = new ManualTimeProvider();
        var options = new QuotaAlertOptions { WebhookUrl = $"http://127.0.0.1:{FreePort.Next()}/hook", MaxAttempts = 2 };
        await using var rig = await AlertRig.StartAsync(options, time);

        rig.Publish(AlertRig.TokensPerDay("user_1", 50));
        await rig.Metrics.WaitForOutcomeAsync(QuotaAlertMetrics.Retry, 1);
        await time.WaitForActiveTimersAsync(1);
        time.Advance(TimeSpan.FromSeconds(1));
        await rig.Metrics.WaitForOutcomeAsync(QuotaAlertMetrics.Failed, 1);

        Assert.Single(rig.Logger.Records, r => r.EventId == 2455
            && r.Message == $"Quota alert webhook for user {rig.Pseudonym("user_1")} gave up after 2 attempts (ConnectionError)");
    }

    [Fact]
    public async Task An_attempt_times_out_on_the_clock_and_is_retried()
    {
        var time = new ManualTimeProvider();
        await using var receiver = await WebhookReceiver.StartAsync(time);
        receiver.Respond(async (request, context) =>
        {
            if (request.Number == 1)
            {
                try
                {
                    await Task.Delay(Timeout.Infinite, context.RequestAborted);
                }
                catch (OperationCanceledException)
                {
                    return 499;
                }
            }
            return 200;
        });
        var options = Options(receiver, maxAttempts: 2);
        options.Timeout = TimeSpan.FromSeconds(10);
        await using var rig = await AlertRig.StartAsync(options, time);

        rig.Publish(AlertRig.TokensPerDay("user_1", 50));
        await receiver.NextAsync();
        time.Advance(TimeSpan.FromSeconds(10) - TimeSpan.FromTicks(1));
        Assert.Equal(0, rig.Metrics.WebhookOutcomes(QuotaAlertMetrics.Retry));
        time.Advance(TimeSpan.FromTicks(1));
        var retry = await NextAttemptAfterAsync(rig, receiver, TimeSpan.FromSeconds(1), retries: 1);
        await rig.Metrics.WaitForOutcomeAsync(QuotaAlertMetrics.Delivered, 1);

        Assert.Equal(T0.AddSeconds(11), retry.ReceivedAt);
        Assert.Single(rig.Logger.Records, r => r.EventId == 2454 && r.Message.Contains("(timed out)", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_receivers_retry_after_is_honoured()
    {
        var time = new ManualTimeProvider();
        await using var receiver = await WebhookReceiver.StartAsync(time);
        receiver.Respond((request, context) =>
        {
            if (request.Number == 1)
            {
                context.Response.Headers.RetryAfter = "30";
                return Task.FromResult(429);
            }
            return Task.FromResult(200);
        });
        await using var rig = await AlertRig.StartAsync(Options(receiver, maxAttempts: 2), time);

        rig.Publish(AlertRig.TokensPerDay("user_1", 50));
        await receiver.NextAsync();
        var retry = await NextAttemptAfterAsync(rig, receiver, TimeSpan.FromSeconds(30), retries: 1);
        Assert.Equal(T0.AddSeconds(30), retry.ReceivedAt);
    }

    [Fact]
    public void The_delay_bound_doubles_from_the_first_delay_up_to_the_cap()
    {
        var first = TimeSpan.FromSeconds(1);
        var max = TimeSpan.FromSeconds(60);
        Assert.Equal(TimeSpan.FromSeconds(1), QuotaAlertWebhook.RetryDelay(1, first, max, 1.0));
        Assert.Equal(TimeSpan.FromSeconds(2), QuotaAlertWebhook.RetryDelay(2, first, max, 1.0));
        Assert.Equal(TimeSpan.FromSeconds(32), QuotaAlertWebhook.RetryDelay(6, first, max, 1.0));
        Assert.Equal(TimeSpan.FromSeconds(60), QuotaAlertWebhook.RetryDelay(7, first, max, 1.0));
        Assert.Equal(TimeSpan.FromSeconds(60), QuotaAlertWebhook.RetryDelay(100, first, max, 1.0));
        Assert.Equal(TimeSpan.FromSeconds(4), QuotaAlertWebhook.RetryDelay(4, first, max, 0.5));
        Assert.Equal(TimeSpan.FromSeconds(15), QuotaAlertWebhook.RetryDelay(100, first, max, 0.25));
    }

    private static QuotaAlertOptions Options(WebhookReceiver receiver, int maxAttempts) => new()
    {
        WebhookUrl = receiver.Url,
        MaxAttempts = maxAttempts,
        FirstRetryDelay = TimeSpan.FromSeconds(1),
    };

    /// <summary>Waits for retry number <paramref name="retries"/> to be scheduled, checks that nothing is sent a tick
    /// before <paramref name="delay"/> has passed, then lets it pass and returns the attempt.</summary>
    private static async Task<ReceivedWebhook> NextAttemptAfterAsync(AlertRig rig, WebhookReceiver receiver, TimeSpan delay, int retries)
    {
        await rig.Metrics.WaitForOutcomeAsync(QuotaAlertMetrics.Retry, retries);
        // The attempt's own timeout timer is disposed before the retry is counted, so this one is the delay.
        await rig.Time.WaitForActiveTimersAsync(1);
        var before = receiver.Count;
        rig.Time.Advance(delay - TimeSpan.FromTicks(1));
        Assert.Equal(1, rig.Time.ActiveTimerCount);
        Assert.Equal(before, receiver.Count);
        rig.Time.Advance(TimeSpan.FromTicks(1));
        return await receiver.NextAsync();
    }
}
