using System.Security.Cryptography;
using System.Text;
using Parley.Grains.Quotas;
using Parley.Silo.Quotas.Alerts;
using Parley.Testing;
using Xunit;

namespace Parley.Silo.Tests.Quotas.Alerts;

public sealed class QuotaAlertWebhookTests
{
    private const string Secret = "whsec-test-7f3a";

    [Fact]
    public async Task Each_published_alert_is_posted_once_with_the_exact_body_and_a_valid_signature()
    {
        var time = new ManualTimeProvider();
        await using var receiver = await WebhookReceiver.StartAsync(time);
        await using var rig = await AlertRig.StartAsync(new QuotaAlertOptions { WebhookUrl = receiver.Url, WebhookSecret = Secret }, time);

        rig.Publish(new BudgetAlert("user_1", "key_1", QuotaScope.Key, QuotaKind.MoneyPerDay, 80, "2025-01-01", 812_500, 1_000_000));
        var first = await receiver.NextAsync();
        await rig.Metrics.WaitForOutcomeAsync(QuotaAlertMetrics.Delivered, 1);
        // Moved only once the first delivery is over, so its attempt timeout cannot fire on the way.
        time.Advance(TimeSpan.FromSeconds(90));
        rig.Publish(new BudgetAlert("user_2", null, QuotaScope.User, QuotaKind.TokensPerMonth, 100, "2025-01", 1000, 1000));
        var second = await receiver.NextAsync();
        await rig.Metrics.WaitForOutcomeAsync(QuotaAlertMetrics.Delivered, 2);
        await rig.StopAsync();

        Assert.Equal(
            """{"type":"quota.threshold_crossed","user_id":"user_1","key_id":"key_1","scope":"key","budget":"usd_per_day","threshold_percent":80,"period":"2025-01-01","used":0.8125,"limit":1,"occurred_at":1735689600}""",
            first.Text);
        Assert.Equal(
            """{"type":"quota.threshold_crossed","user_id":"user_2","key_id":null,"scope":"user","budget":"tokens_per_month","threshold_percent":100,"period":"2025-01","used":1000,"limit":1000,"occurred_at":1735689690}""",
            second.Text);
        foreach (var webhook in new[] { first, second })
        {
            Assert.Equal("application/json", webhook.Headers["content-type"]);
            Assert.Equal("quota.threshold_crossed", webhook.Headers["x-parley-event"]);
            var expected = "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(Secret), webhook.Body));
            Assert.Equal(expected, webhook.Headers["x-parley-signature"]);
        }
        Assert.NotEqual(first.Headers["x-parley-delivery"], second.Headers["x-parley-delivery"]);
        Assert.Equal(2, receiver.Count);
        Assert.DoesNotContain(rig.Logger.Records, r => r.Message.Contains(Secret, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Without_a_secret_no_signature_header_is_sent()
    {
        var time = new ManualTimeProvider();
        await using var receiver = await WebhookReceiver.StartAsync(time);
        await using var rig = await AlertRig.StartAsync(new QuotaAlertOptions { WebhookUrl = receiver.Url }, time);

        rig.Publish(AlertRig.TokensPerDay("user_1", 50));

        var webhook = await receiver.NextAsync();
        Assert.False(webhook.Headers.ContainsKey("x-parley-signature"));
        Assert.StartsWith("""{"type":"quota.threshold_crossed","user_id":"user_1",""", webhook.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Without_a_webhook_an_alert_is_only_logged_and_counted()
    {
        await using var rig = await AlertRig.StartAsync(new QuotaAlertOptions());

        rig.Publish(new BudgetAlert("user_1", null, QuotaScope.User, QuotaKind.TokensPerDay, 50, "2025-01-01", 500, 1000));
        rig.Publish(new BudgetAlert("user_1", "key_9", QuotaScope.Key, QuotaKind.MoneyPerMonth, 100, "2025-01", 25_000_000, 25_000_000));

        Assert.Equal(
            [
                new CapturedLog(Microsoft.Extensions.Logging.LogLevel.Information, 2451,
                    $"Quota budget threshold crossed: user budget tokens_per_day of user {rig.Pseudonym("user_1")} (key {rig.Pseudonym("-")}) reached 50% in 2025-01-01: used 500 of 1000"),
                new CapturedLog(Microsoft.Extensions.Logging.LogLevel.Warning, 2450,
                    $"Quota budget exhausted: key budget usd_per_month of user {rig.Pseudonym("user_1")} (key {rig.Pseudonym("key_9")}) reached 100% in 2025-01: used 25 of 25"),
            ],
            rig.Logger.Records);
        var alerts = rig.Metrics.Measurements;
        Assert.Equal(2, alerts.Count);
        Assert.All(alerts, m => Assert.Equal(QuotaAlertMetrics.AlertsName, m.Instrument));
        Assert.All(alerts, m => Assert.Equal(1, m.Value));
        Assert.Equal(new Dictionary<string, object?> { ["kind"] = "tokens_per_day", ["threshold"] = 50, ["scope"] = "user" }, alerts[0].Tags);
        Assert.Equal(new Dictionary<string, object?> { ["kind"] = "usd_per_month", ["threshold"] = 100, ["scope"] = "key" }, alerts[1].Tags);
        Assert.Equal(0, rig.Time.ActiveTimerCount);
    }

    [Fact]
    public async Task An_alert_with_a_webhook_is_logged_and_counted_before_delivery()
    {
        var time = new ManualTimeProvider();
        await using var receiver = await WebhookReceiver.StartAsync(time);
        var release = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        receiver.Respond((_, _) => release.Task);
        await using var rig = await AlertRig.StartAsync(new QuotaAlertOptions { WebhookUrl = receiver.Url }, time);

        rig.Publish(AlertRig.TokensPerDay("user_1", 80, used: 800));

        // Publish returned with the receiver still holding the POST: logging and counting did not wait for it.
        await receiver.NextAsync();
        Assert.Single(rig.Logger.Records, r => r.EventId == 2451);
        Assert.Single(rig.Metrics.Measurements, m => m.Instrument == QuotaAlertMetrics.AlertsName);
        release.SetResult(204);
        await rig.Metrics.WaitForOutcomeAsync(QuotaAlertMetrics.Delivered, 1);
    }
}
