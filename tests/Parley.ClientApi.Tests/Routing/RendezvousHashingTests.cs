using Parley.ClientApi.Routing;

namespace Parley.ClientApi.Tests.Routing;

public sealed class RendezvousHashingTests
{
    private static readonly string[] ThreeSilos = ["http://10.0.0.1:8080", "http://10.0.0.2:8080", "http://10.0.0.3:8080"];

    private static IEnumerable<ulong> Keys(int count)
        => Enumerable.Range(0, count).Select(i => RoutingHash.Of($"conv_{i:x8}"));

    [Fact]
    public void The_same_silo_set_picks_the_same_silo_whatever_the_order_or_instance()
    {
        var a = new SiloSet(ThreeSilos);
        var b = new SiloSet(ThreeSilos.Reverse().Select(s => s + "/"));
        foreach (var key in Keys(2_000))
        {
            Assert.Equal(a.Pick(key)!.Address, b.Pick(key)!.Address);
        }
    }

    [Fact]
    public void Only_the_keys_of_a_removed_silo_move()
    {
        var all = new SiloSet([.. ThreeSilos, "http://10.0.0.4:8080"]);
        var without = new SiloSet(ThreeSilos);
        var moved = 0;
        foreach (var key in Keys(10_000))
        {
            var before = all.Pick(key)!.Address;
            var after = without.Pick(key)!.Address;
            if (before == "http://10.0.0.4:8080")
            {
                moved++;
                // The key goes to its second choice in the old ranking.
                var cursor = default(RendezvousCursor);
                all.Next(key, ref cursor);
                Assert.Equal(all.Next(key, ref cursor)!.Address, after);
            }
            else
            {
                Assert.Equal(before, after);
            }
        }
        Assert.InRange(moved, 2_000, 3_000);
    }

    [Fact]
    public void Keys_spread_evenly_over_three_silos()
    {
        var set = new SiloSet(ThreeSilos);
        var counts = new Dictionary<string, int>();
        foreach (var key in Keys(30_000))
        {
            var silo = set.Pick(key)!.Address;
            counts[silo] = counts.GetValueOrDefault(silo) + 1;
        }
        Assert.Equal(3, counts.Count);
        // 10,000 expected each; the binomial standard deviation is ~82, so ±500 only fails on a real bias.
        Assert.All(counts.Values, c => Assert.InRange(c, 9_500, 10_500));
    }

    [Fact]
    public void Walking_a_ranking_visits_every_silo_once_in_descending_weight()
    {
        var set = new SiloSet([.. ThreeSilos, "http://10.0.0.4:8080", "http://10.0.0.5:8080"]);
        foreach (var key in Keys(500))
        {
            var cursor = default(RendezvousCursor);
            var seen = new List<SiloNode>();
            while (set.Next(key, ref cursor) is { } node)
            {
                seen.Add(node);
            }
            Assert.Equal(5, seen.Select(s => s.Address).Distinct().Count());
            var weights = seen.Select(s => RoutingHash.Weight(key, s.Hash)).ToList();
            Assert.Equal(weights.OrderByDescending(w => w), weights);
            Assert.Same(seen[0], set.Pick(key));
        }
    }

    [Fact]
    public void An_empty_set_picks_nothing_and_duplicates_collapse()
    {
        Assert.Null(SiloSet.Empty.Pick(42));
        var set = new SiloSet(["http://a:1", "http://a:1/", "http://b:1"]);
        Assert.Equal(2, set.Count);
        Assert.True(set.HasSameAddresses(["http://b:1", "http://a:1/"], static s => s));
        Assert.False(set.HasSameAddresses(["http://b:1", "http://c:1"], static s => s));
    }
}
