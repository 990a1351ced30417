using System.Net;
using Parley.Silo.Tests.Infrastructure;
using Parley.Testing;
using Xunit;

namespace Parley.Silo.Tests.Quotas;

/// <summary>Redis unreachable: users without money budgets are admitted by in-process limits (fail-open, the default),
/// users with one are refused (fail-closed, the default for money), and readiness says which mode the silo is in.</summary>
public sealed class QuotaStoreFailureTests
{
    [Fact]
    public async Task Fail_open_decides_in_process_and_fail_closed_refuses_when_redis_is_gone()
    {
        await using var redis = await RedisServer.StartAsync();
        await using var harness = await SiloHarness.StartAsync(cfg =>
        {
            SiloHarness.UseRedisThroughOutage(cfg, redis);
        });
        var admin = harness.CreateClient(harness.AdminKey);
        var (rateUser, rateKey) = await harness.CreateUserAsync("rate");
        var (moneyUser, moneyKey) = await harness.CreateUserAsync("money");
        (await admin.PutAsync($"admin/users/{rateUser}/limits", Http.Json("""{"requests_per_minute":2}"""))).EnsureSuccessStatusCode();
        (await admin.PutAsync($"admin/users/{moneyUser}/limits", Http.Json("""{"usd_per_day":5}"""))).EnsureSuccessStatusCode();
        var rate = harness.CreateClient(rateKey);
        var money = harness.CreateClient(moneyKey);
        using (var warm = await rate.PostChatAsync(Bodies.Simple()))
        {
            Assert.Equal("1", warm.Headers.GetValues("x-ratelimit-remaining-requests").Single());
        }
        using (var warm = await money.PostChatAsync(Bodies.Simple()))
        {
            Assert.Equal(HttpStatusCode.OK, warm.StatusCode);
        }
        Assert.Contains("\"quotas\":\"cluster\"", await (await harness.CreateClient(null).GetAsync("health/ready")).Content.ReadAsStringAsync());

        await RedisOutage.BeginAsync(redis, harness);

        // In process the silo starts a window of its own: two more, then refused.
        for (var i = 0; i < 2; i++)
        {
            using var admitted = await rate.PostChatAsync(Bodies.Simple());
            Assert.Equal(HttpStatusCode.OK, admitted.StatusCode);
        }
        using (var refused = await rate.PostChatAsync(Bodies.Simple()))
        {
            await refused.AssertErrorAsync(HttpStatusCode.TooManyRequests, "rate_limit_exceeded", type: "requests");
        }
        Assert.Contains("\"quotas\":\"in_process\"", await (await harness.CreateClient(null).GetAsync("health/ready")).Content.ReadAsStringAsync());

        using (var closed = await money.PostChatAsync(Bodies.Simple()))
        {
            await closed.AssertErrorAsync(HttpStatusCode.ServiceUnavailable, "quota_unavailable", type: "server_error");
            Assert.Equal("1", closed.Headers.GetValues("retry-after").Single());
        }
        // Back, with what it held, before the silo stops: Orleans leaves through its membership table.
        await redis.RestartAsync();
    }
}
