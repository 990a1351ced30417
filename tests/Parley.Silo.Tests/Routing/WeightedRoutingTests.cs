using System.Net;
using Parley.Silo.Tests.Infrastructure;
using Xunit;

namespace Parley.Silo.Tests.Routing;

/// <summary>Weights and priorities of a model group, over real HTTP.</summary>
public sealed class WeightedRoutingTests
{
    [Fact]
    public async Task Ten_thousand_calls_split_60_30_10_by_weight()
    {
        const string model = "split";
        await using var harness = await RoutingHarness.StartAsync(3, settings => RoutingHarness.Group(settings, model, (0, 60, 0), (1, 30, 0), (2, 10, 0)));
        var counts = new int[3];
        var next = 0;

        await Task.WhenAll(Enumerable.Range(0, 16).Select(async _ =>
        {
            while (Interlocked.Increment(ref next) <= 10_000)
            {
                using var response = await harness.Client.PostChatAsync(Bodies.Simple(model: model));
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                var provider = response.Header("x-parley-provider")!;
                Interlocked.Increment(ref counts[provider[^1] - '0']);
            }
        }));

        // Smooth weighted round robin is exact over any whole cycle of 100 calls; 10,000 is 100 cycles.
        Assert.Equal([6000, 3000, 1000], counts);
        Assert.Equal([6000, 3000, 1000], harness.Upstreams.Select(u => (int)u.State.Completed).ToArray());
    }

    [Fact]
    public async Task A_lower_priority_is_used_only_while_every_higher_one_fails()
    {
        const string model = "tiers";
        await using var harness = await RoutingHarness.StartAsync(3, settings =>
        {
            RoutingHarness.Group(settings, model, (0, 1, 0), (1, 1, 0), (2, 1, 1));
            RoutingHarness.Resilience(settings, 3, "Retry:MaxRetries", "0");
            RoutingHarness.Resilience(settings, 3, "CircuitBreaker:Enabled", "false");
        });
        for (var i = 0; i < 10; i++)
        {
            using var response = await harness.Client.PostChatAsync(Bodies.Simple(model: model));
        }
        Assert.Equal([5, 5, 0], harness.Upstreams.Select(u => (int)u.State.RequestsReceived).ToArray());

        harness.Upstreams[0].Faults.Set(harness.Upstreams[0].Faults.Current with { ServerErrorRate = 1.0 });
        harness.Upstreams[1].Faults.Set(harness.Upstreams[1].Faults.Current with { ServerErrorRate = 1.0 });
        using var fallback = await harness.Client.PostChatAsync(Bodies.Simple(model: model));

        Assert.Equal(HttpStatusCode.OK, fallback.StatusCode);
        Assert.Equal(RoutingHarness.Provider(2), fallback.Header("x-parley-provider"));
        Assert.Equal("3", fallback.Header("x-parley-attempts"));
    }
}
