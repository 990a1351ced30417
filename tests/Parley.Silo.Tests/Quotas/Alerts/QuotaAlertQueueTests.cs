using Microsoft.Extensions.Logging;
using Parley.Silo.Quotas.Alerts;
using Parley.Testing;
using Xunit;

namespace Parley.Silo.Tests.Quotas.Alerts;

public sealed class QuotaAlertQueueTests
{
    private static readonly TimeSpan RealBound = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task A_full_queue_drops_the_oldest_webhook_with_a_warning_after_logging_and_counting_it()
    {
        var time = new ManualTimeProvider();
        await using var receiver = await WebhookReceiver.StartAsync(time);
        var release = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        receiver.Respond((request, _) => request.Number == 1 ? release.Task : Task.FromResult(200));
        await using var rig = await AlertRig.StartAsync(new QuotaAlertOptions { WebhookUrl = receiver.Url, QueueCapacity = 2 }, time);

        rig.Publish(AlertRig.TokensPerDay("user_a", 50));
        await receiver.NextAsync();
        rig.Publish(AlertRig.TokensPerDay("user_b", 50));
        rig.Publish(AlertRig.TokensPerDay("user_c", 50));
        Assert.Equal(0, rig.Metrics.WebhookOutcomes(QuotaAlertMetrics.Dropped));
        rig.Publish(AlertRig.TokensPerDay("user_d", 50));

        Assert.Equal(1, rig.Metrics.WebhookOutcomes(QuotaAlertMetrics.Dropped));
        Assert.Single(rig.Logger.Records, r => r.EventId == 2452 && r.Level == LogLevel.Warning
            && r.Message == $"Quota alert webhook queue is full (2); dropped the webhook of tokens_per_day 50% for user {rig.Pseudonym("user_b")} (already logged and counted)");
        Assert.Equal(4, rig.Logger.Records.Count(r => r.EventId == 2451));
        Assert.Equal(4, rig.Metrics.Measurements.Count(m => m.Instrument == QuotaAlertMetrics.AlertsName));

        release.SetResult(200);
        var delivered = new[] { await receiver.NextAsync(), await receiver.NextAsync() };
        await rig.Metrics.WaitForOutcomeAsync(QuotaAlertMetrics.Delivered, 3);
        Assert.Contains("\"user_id\":\"user_c\"", delivered[0].Text, StringComparison.Ordinal);
        Assert.Contains("\"user_id\":\"user_d\"", delivered[1].Text, StringComparison.Ordinal);
        await rig.StopAsync();
        Assert.Equal(3, receiver.Count);
    }

    [Fact]
    public async Task Shutdown_lets_queued_webhooks_go_out_then_refuses_new_ones()
    {
        var time = new ManualTimeProvider();
        await using var receiver = await WebhookReceiver.StartAsync(time);
        var release = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        receiver.Respond((request, _) => request.Number == 1 ? release.Task : Task.FromResult(200));
        await using var rig = await AlertRig.StartAsync(new QuotaAlertOptions { WebhookUrl = receiver.Url }, time);

        rig.Publish(AlertRig.TokensPerDay("user_a", 50));
        await receiver.NextAsync();
        rig.Publish(AlertRig.TokensPerDay("user_b", 80));
        var stop = rig.Dispatcher.StopAsync(CancellationToken.None);
        Assert.False(stop.IsCompleted);

        release.SetResult(200);
        await stop.WaitAsync(RealBound);
        Assert.Equal(2, receiver.Count);
        Assert.Equal(2, rig.Metrics.WebhookOutcomes(QuotaAlertMetrics.Delivered));
        Assert.DoesNotContain(rig.Logger.Records, r => r.EventId == 2457);

        rig.Publish(AlertRig.TokensPerDay("user_c", 100));
        Assert.Single(rig.Logger.Records, r => r.EventId == 2450);
        Assert.Single(rig.Logger.Records, r => r.EventId == 2459 && r.Level == LogLevel.Warning);
        Assert.Equal(1, rig.Metrics.WebhookOutcomes(QuotaAlertMetrics.Dropped));
    }

    [Fact]
    public async Task Shutdown_abandons_what_is_left_when_its_time_is_up()
    {
        var time = new ManualTimeProvider();
        await using var receiver = await WebhookReceiver.StartAsync(time);
        receiver.Respond(async (_, context) =>
        {
            try
            {
                await Task.Delay(Timeout.Infinite, context.RequestAborted);
            }
            catch (OperationCanceledException)
            {
            }
            return 499;
        });
        var options = new QuotaAlertOptions { WebhookUrl = receiver.Url, ShutdownTimeout = TimeSpan.FromSeconds(5) };
        await using var rig = await AlertRig.StartAsync(options, time);

        rig.Publish(AlertRig.TokensPerDay("user_a", 50));
        await receiver.NextAsync();
        rig.Publish(AlertRig.TokensPerDay("user_b", 50));
        rig.Publish(AlertRig.TokensPerDay("user_c", 50));
        var stop = rig.Dispatcher.StopAsync(CancellationToken.None);
        // The attempt's timeout (10 s) and the shutdown bound (5 s).
        await time.WaitForActiveTimersAsync(2);
        time.Advance(TimeSpan.FromSeconds(5) - TimeSpan.FromTicks(1));
        Assert.False(stop.IsCompleted);
        time.Advance(TimeSpan.FromTicks(1));
        await stop.WaitAsync(RealBound);

        Assert.Single(rig.Logger.Records, r => r.EventId == 2457 && r.Level == LogLevel.Warning
            && r.Message == "Quota alert webhook queue stopped with 3 alerts undelivered (shutdown)");
        Assert.Equal(3, rig.Metrics.WebhookOutcomes(QuotaAlertMetrics.Dropped));
        Assert.Equal(0, rig.Metrics.WebhookOutcomes(QuotaAlertMetrics.Retry));
        Assert.Equal(1, receiver.Count);
    }
}
