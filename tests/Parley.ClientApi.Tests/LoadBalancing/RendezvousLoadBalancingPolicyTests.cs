using Microsoft.AspNetCore.Http;
using Parley.ClientApi.LoadBalancing;
using Parley.ClientApi.Routing;
using Yarp.ReverseProxy.Model;

namespace Parley.ClientApi.Tests.LoadBalancing;

public sealed class RendezvousLoadBalancingPolicyTests
{
    private static readonly string[] FourSilos = ["http://10.0.0.1:8080", "http://10.0.0.2:8080", "http://10.0.0.3:8080", "http://10.0.0.4:8080"];

    private static DestinationState[] Destinations(IEnumerable<string> addresses) => [.. addresses.Select(a => new DestinationState(a))];

    private static ulong[] Keys(int count) => [.. Enumerable.Range(0, count).Select(i => RoutingHash.Of($"conv_{i:x8}"))];

    [Fact]
    public void The_same_silos_pick_the_same_silo_whatever_their_order_or_instances()
    {
        var a = Destinations(FourSilos);
        var b = Destinations(FourSilos.Reverse());
        foreach (var key in Keys(2_000))
        {
            Assert.Equal(RendezvousLoadBalancingPolicy.Pick(key, a)!.DestinationId, RendezvousLoadBalancingPolicy.Pick(key, b)!.DestinationId);
        }
    }

    [Fact]
    public void Removing_a_silo_moves_exactly_its_keys_each_to_its_second_choice()
    {
        var all = Destinations(FourSilos);
        var without = all.Where(d => d.DestinationId != FourSilos[3]).ToArray();
        var keys = Keys(10_000);
        var onRemoved = 0;
        var moved = 0;
        foreach (var key in keys)
        {
            var before = RendezvousLoadBalancingPolicy.Pick(key, all)!;
            var after = RendezvousLoadBalancingPolicy.Pick(key, without)!;
            if (before.DestinationId == FourSilos[3])
            {
                onRemoved++;
                // Its second choice in the old ranking is the first among the rest.
                var second = all.Where(d => d != before).OrderByDescending(d => RoutingHash.Weight(key, d.DestinationId)).First();
                Assert.Same(second, after);
            }
            if (!ReferenceEquals(before, after))
            {
                moved++;
            }
        }
        Assert.Equal(onRemoved, moved);
        // Exact, because XXH64 is: 2,431 of 10,000 keys ranked 10.0.0.4 first (2,500 expected).
        Assert.Equal(2_431, onRemoved);
    }

    [Fact]
    public void Adding_a_silo_moves_keys_only_to_it()
    {
        var three = Destinations(FourSilos.Take(3));
        var four = three.Append(new DestinationState(FourSilos[3])).ToArray();
        var gained = 0;
        foreach (var key in Keys(10_000))
        {
            var before = RendezvousLoadBalancingPolicy.Pick(key, three)!;
            var after = RendezvousLoadBalancingPolicy.Pick(key, four)!;
            if (!ReferenceEquals(before, after))
            {
                Assert.Equal(FourSilos[3], after.DestinationId);
                gained++;
            }
        }
        Assert.Equal(2_431, gained);
    }

    [Fact]
    public void Keys_spread_evenly()
    {
        var destinations = Destinations(FourSilos.Take(3));
        var counts = Keys(30_000).GroupBy(k => RendezvousLoadBalancingPolicy.Pick(k, destinations)!.DestinationId).ToDictionary(g => g.Key, g => g.Count());
        // 10,000 expected each (binomial standard deviation ~82); the hash is deterministic, so the split is exact.
        Assert.Equal(10_175, counts[FourSilos[0]]);
        Assert.Equal(9_838, counts[FourSilos[1]]);
        Assert.Equal(9_987, counts[FourSilos[2]]);
    }

    [Fact]
    public void The_policy_routes_by_the_requests_key_and_picks_nothing_from_nothing()
    {
        var policy = new RendezvousLoadBalancingPolicy();
        var destinations = Destinations(FourSilos);
        var context = new DefaultHttpContext();
        context.Request.Path = "/v1/conversations/conv_7/items";
        var expected = RendezvousLoadBalancingPolicy.Pick(RoutingHash.Of("conv_7"), destinations);
        Assert.Same(expected, policy.PickDestination(context, null!, destinations));
        Assert.Null(RendezvousLoadBalancingPolicy.Pick(1, []));
    }

    [Fact]
    public void Weights_are_pinned_so_every_replica_ranks_alike()
    {
        // XXH64 of the address bytes seeded with the key's hash; a change here would move every conversation.
        var key = RoutingHash.Of("conv_42");
        Assert.Equal(System.IO.Hashing.XxHash64.HashToUInt64("http://10.0.0.1:8080"u8, unchecked((long)key)), RoutingHash.Weight(key, FourSilos[0]));
        Assert.NotEqual(RoutingHash.Weight(key, FourSilos[0]), RoutingHash.Weight(key, FourSilos[1]));
    }
}
