using System.Net;
using System.Text.Json;
using Parley.Silo.Tests.Infrastructure;
using Parley.Silo.Tests.Quotas.Alerts;
using Xunit;

namespace Parley.Silo.Tests.Quotas;

/// <summary>From the facade to the webhook: a budget crossing 50, 80 and 100 % sends exactly one alert per threshold,
/// however many requests cross it.</summary>
public sealed class QuotaAlertFlowTests
{
    [Fact]
    public async Task Each_threshold_of_a_daily_budget_is_posted_once()
    {
        await using var receiver = await WebhookReceiver.StartAsync(TimeProvider.System);
        await using var harness = await SiloHarness.StartAsync(cfg => cfg["Parley:Quotas:Alerts:WebhookUrl"] = receiver.Url);
        var (userId, key) = await harness.CreateUserAsync("alerts");
        using (var put = await harness.CreateClient(harness.AdminKey).PutAsync($"admin/users/{userId}/limits", Http.Json("""{"tokens_per_day":300}""")))
        {
            Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        }
        var client = harness.CreateClient(key);

        // Each call spends 8 prompt + 20 completion tokens = 28: the 6th passes 50 %, the 9th 80 %, the 11th 100 %.
        var admitted = 0;
        for (var i = 0; i < 14; i++)
        {
            using var response = await client.PostChatAsync("""{"model":"parley-sim","max_tokens":20,"messages":[{"role":"user","content":"Hello"}]}""");
            admitted += response.StatusCode == HttpStatusCode.OK ? 1 : 0;
        }

        var thresholds = new List<int>();
        for (var i = 0; i < 3; i++)
        {
            var hook = await receiver.NextAsync();
            var body = JsonDocument.Parse(hook.Text).RootElement;
            Assert.Equal("quota.threshold_crossed", body.GetProperty("type").GetString());
            Assert.Equal(userId, body.GetProperty("user_id").GetString());
            Assert.Equal("tokens_per_day", body.GetProperty("budget").GetString());
            Assert.Equal(300, body.GetProperty("limit").GetInt64());
            thresholds.Add(body.GetProperty("threshold_percent").GetInt32());
        }
        Assert.Equal([50, 80, 100], thresholds.Order());
        Assert.Equal(10, admitted);
        Assert.Equal(3, receiver.Count);
    }
}
