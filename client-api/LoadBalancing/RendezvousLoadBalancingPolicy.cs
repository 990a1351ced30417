using Microsoft.AspNetCore.Http;
using Parley.ClientApi.Routing;
using Yarp.ReverseProxy.LoadBalancing;
using Yarp.ReverseProxy.Model;

namespace Parley.ClientApi.LoadBalancing;

/// <summary>Rendezvous (highest-random-weight) hashing: a request goes to the available silo with the highest
/// <see cref="RoutingHash.Weight"/> for its <see cref="RoutingKey"/>. When a silo leaves, only its own keys move (each
/// to its next-ranked silo), and every front end with the same silos picks the same one. The retry middleware walks
/// a key's ranking by calling this again with the failed silos removed.</summary>
public sealed class RendezvousLoadBalancingPolicy : ILoadBalancingPolicy
{
    public const string PolicyName = "ParleyRendezvous";

    public string Name => PolicyName;

    public DestinationState? PickDestination(HttpContext context, ClusterState cluster, IReadOnlyList<DestinationState> availableDestinations)
        => Pick(RoutingKey.HashOf(context), availableDestinations);

    /// <summary>The destination ranked first for the key; ties (practically impossible) go to the smaller id, so
    /// they too break the same way everywhere. No allocation: one hash per destination.</summary>
    public static DestinationState? Pick(ulong keyHash, IReadOnlyList<DestinationState> destinations)
    {
        DestinationState? best = null;
        var bestWeight = 0UL;
        for (var i = 0; i < destinations.Count; i++)
        {
            var destination = destinations[i];
            var weight = RoutingHash.Weight(keyHash, destination.DestinationId);
            if (best is null || weight > bestWeight
                || (weight == bestWeight && string.CompareOrdinal(destination.DestinationId, best.DestinationId) < 0))
            {
                best = destination;
                bestWeight = weight;
            }
        }
        return best;
    }
}
