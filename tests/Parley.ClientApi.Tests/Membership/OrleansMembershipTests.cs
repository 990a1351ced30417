using System.Globalization;
using System.Net;
using Parley.ClientApi.Tests.Forwarding;
using Parley.ClientApi.Tests.Infrastructure;
using Parley.Testing;

namespace Parley.ClientApi.Tests.Membership;

/// <summary>The front end as a real Orleans client of real silos (Redis clustering): it starts before any silo,
/// learns silos through IManagementGrain as they join, and keeps up when the gateway it used goes away.</summary>
public sealed class OrleansMembershipTests(RedisServerFixture redis) : IClassFixture<RedisServerFixture>
{
    private static readonly TimeSpan ClusterTimeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task The_front_end_follows_the_clusters_silos_from_none_to_two_to_one()
    {
        var clusterId = "fe-" + Guid.NewGuid().ToString("N");
        var httpPort = FreePort.Next();
        await using var frontEnd = await FrontEndHost.StartAsync(new Dictionary<string, string?>
        {
            ["Parley:Redis:ConnectionString"] = redis.ConnectionString,
            ["Parley:Cluster:ClusterId"] = clusterId,
            ["Parley:Cluster:ServiceId"] = OrleansSilo.ServiceId,
            ["Parley:FrontEnd:SiloHttpPort"] = httpPort.ToString(CultureInfo.InvariantCulture),
            ["Parley:FrontEnd:MembershipRefreshPeriod"] = "00:00:00.200",
            ["Parley:FrontEnd:GatewayListRefreshPeriod"] = "00:00:01",
            ["Parley:FrontEnd:HealthCheckInterval"] = "00:00:00.200",
        });

        // No silo yet: the front end runs (its client keeps trying in the background) and answers 503.
        using (var none = await frontEnd.Client.GetAsync("/v1/models"))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, none.StatusCode);
            await ForwardingTests.AssertOpenAIErrorAsync(none, "no_silo_available");
        }

        var first = await OrleansSilo.StartAsync(IPAddress.Parse("127.0.0.2"), httpPort, redis.ConnectionString, clusterId);
        await using var second = await OrleansSilo.StartAsync(IPAddress.Parse("127.0.0.3"), httpPort, redis.ConnectionString, clusterId);
        try
        {
            var both = await frontEnd.WaitForSilosAsync(s => s.Count == 2 && s.All(x => x.IsHealthy), ClusterTimeout);
            Assert.Equal([first.Url, second.Url], both.Select(s => s.Address));
            var conversation = Ranking.ConversationRanked([first.Url, second.Url], first.Url);
            Assert.Equal(first.Url, await ServedByAsync(frontEnd, conversation));
        }
        finally
        {
            await first.DisposeAsync();
        }

        // The first silo left (and the client may have used it as its gateway): the front end still asks the cluster.
        var remaining = await frontEnd.WaitForSilosAsync(s => s.Count == 1, ClusterTimeout);
        Assert.Equal(second.Url, remaining.Single().Address);
        Assert.Equal(second.Url, await ServedByAsync(frontEnd, "conv_any"));
    }

    private static async Task<string> ServedByAsync(FrontEndHost frontEnd, string conversation)
    {
        using var response = await frontEnd.Client.PostAsync($"/v1/conversations/{conversation}/items", new StringContent("x"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return response.Headers.GetValues(EchoBackend.ServedByHeader).Single();
    }
}
