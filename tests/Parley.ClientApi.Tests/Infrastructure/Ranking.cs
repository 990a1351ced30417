using Parley.ClientApi.Routing;

namespace Parley.ClientApi.Tests.Infrastructure;

/// <summary>A routing key's rendezvous ranking of silos, computed the way the front end computes it, so tests can
/// pick keys that land on a given silo.</summary>
public static class Ranking
{
    public static string[] Of(string key, IEnumerable<string> silos)
    {
        var hash = RoutingHash.Of(key);
        return [.. silos.Select(s => s.TrimEnd('/'))
            .OrderByDescending(s => RoutingHash.Weight(hash, s))
            .ThenBy(s => s, StringComparer.Ordinal)];
    }

    /// <summary>The first <c>conv_{i}</c> whose ranking starts with <paramref name="expected"/> (in order).</summary>
    public static string ConversationRanked(string[] silos, params string[] expected)
    {
        for (var i = 0; ; i++)
        {
            var id = $"conv_{i}";
            var ranking = Of(id, silos);
            if (ranking.Take(expected.Length).SequenceEqual(expected.Select(e => e.TrimEnd('/'))))
            {
                return id;
            }
        }
    }
}
