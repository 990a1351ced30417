using System.Net;
using Parley.Silo.Tests.Infrastructure;
using Parley.Testing;
using Xunit;

namespace Parley.Silo.Tests.Providers;

/// <summary>Redis unreachable: pacing exists to spare the upstream 429s, so without its store calls still go, unpaced,
/// on keys chosen by weight among those not known to be disabled.</summary>
public sealed class UpstreamKeyStoreOutageTests
{
    private const string KeyA = "sk-upstream-outage-a-0123456789";
    private const string KeyB = "sk-upstream-outage-b-0123456789";
    private const string RevokedKey = "sk-upstream-outage-revoked-0123456789";
    private static readonly string Provider = SiloHarness.ProviderName;

    [Fact]
    public async Task Calls_go_unpaced_by_weight_when_the_pacing_store_is_gone()
    {
        await using var redis = await RedisServer.StartAsync();
        await using var h = await SiloHarness.StartAsync(cfg =>
        {
            SiloHarness.UseRedisThroughOutage(cfg, redis);
            cfg[$"Parley:Providers:{Provider}:ApiKey"] = "";
            // The heaviest key is chosen first and answers 401, so the silo knows it is out before the outage.
            cfg[$"Parley:Providers:{Provider}:Keys:0:Id"] = "revoked";
            cfg[$"Parley:Providers:{Provider}:Keys:0:ApiKey"] = RevokedKey;
            cfg[$"Parley:Providers:{Provider}:Keys:0:Weight"] = "10";
            cfg[$"Parley:Providers:{Provider}:Keys:1:Id"] = "a";
            cfg[$"Parley:Providers:{Provider}:Keys:1:ApiKey"] = KeyA;
            cfg[$"Parley:Providers:{Provider}:Keys:1:Weight"] = "3";
            cfg[$"Parley:Providers:{Provider}:Keys:1:RequestsPerMinute"] = "600";
            cfg[$"Parley:Providers:{Provider}:Keys:2:Id"] = "b";
            cfg[$"Parley:Providers:{Provider}:Keys:2:ApiKey"] = KeyB;
            cfg[$"Parley:Providers:{Provider}:Keys:2:RequestsPerMinute"] = "600";
        }, sim => sim.ApiKeys = [KeyA, KeyB]);
        var (_, key) = await h.CreateUserAsync("outage-user");
        var client = h.CreateClient(key);
        using (var warm = await client.PostChatAsync(Bodies.Simple()))
        {
            Assert.Equal(HttpStatusCode.OK, warm.StatusCode);
        }
        Assert.Equal(1, h.SimState.Unauthorized);
        var (a, b) = (h.SimState.RequestsFor(KeyA), h.SimState.RequestsFor(KeyB));
        Assert.Equal(1, a + b);

        await RedisOutage.BeginAsync(redis, h);

        for (var i = 0; i < 4; i++)
        {
            using var response = await client.PostChatAsync(Bodies.Simple());
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }
        // Weights 3 : 1 over four calls, and never the key known to be revoked.
        Assert.Equal(a + 3, h.SimState.RequestsFor(KeyA));
        Assert.Equal(b + 1, h.SimState.RequestsFor(KeyB));
        Assert.Equal(1, h.SimState.Unauthorized);
        // Back, with what it held, before the silo stops: Orleans leaves through its membership table.
        await redis.RestartAsync();
    }
}
