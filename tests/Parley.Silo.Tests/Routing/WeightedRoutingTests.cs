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

    [Fact]
    public async Task Latency_aware_routing_sends_little_to_a_slow_region_but_keeps_measuring_it()
    {
        const string model = "nearest";
        await using var harness = await RoutingHarness.StartAsync(2, settings =>
        {
            RoutingHarness.Group(settings, model, (0, 1, 0), (1, 1, 0));
            settings[$"Parley:Models:{model}:Strategy"] = "LatencyAware";
            settings["Parley:Routing:ProbeInterval"] = "00:00:00.500";
        }, (i, o) => o.TimeToFirstToken = TimeSpan.FromMilliseconds(i == 0 ? 0 : 150));

        var watch = System.Diagnostics.Stopwatch.StartNew();
        var calls = 0;
        while (watch.Elapsed < TimeSpan.FromSeconds(3))
        {
            using var response = await harness.Client.PostChatAsync(Bodies.Simple(stream: true, model: model));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            calls++;
        }

        var slow = harness.Upstreams[1].State.Completed;
        // Chosen once while unmeasured, then only as the probe (about every 0.5 s); the fast one takes the rest.
        Assert.InRange(slow, 2, 12);
        Assert.Equal(calls - slow, harness.Upstreams[0].State.Completed);
        Assert.True(calls > 50, $"{calls} calls");
    }
}
