using Parley.Silo.Providers;

namespace Parley.Silo.Routing;

/// <summary>Which deployments a call may still try: not tried yet, able to hold the prompt, and not open.</summary>
internal readonly record struct SelectionFilter(ulong Tried, int RequiredWindow, int AboveWindow);

/// <summary>Picks the next deployment of a model group for a call: the lowest priority that has an eligible deployment,
/// then by weight (smooth weighted round robin, so the split is exact) or by latency (power of two choices on the
/// smoothed time to first byte, scaled by calls in flight, with a probe for a deployment left alone too long).</summary>
internal static class DeploymentSelector
{
    /// <summary>The chosen member, or null; <paramref name="soonestReopen"/> is the earliest end of an open circuit that
    /// kept an otherwise eligible deployment out (MaxValue when none did).</summary>
    public static DeploymentMember? Pick(CatalogModel model, in SelectionFilter filter, DateTimeOffset now, RoutingOptions options, out DateTimeOffset soonestReopen)
    {
        soonestReopen = DateTimeOffset.MaxValue;
        var members = model.Members;
        ulong eligible = 0;
        var tier = int.MaxValue;
        for (var i = 0; i < members.Count; i++)
        {
            var member = members[i];
            if ((filter.Tried & (1UL << i)) != 0 || !Fits(member, filter))
            {
                continue;
            }
            if (member.Deployment.IsOpen(now))
            {
                var reopen = member.Deployment.OpenUntil;
                soonestReopen = reopen < soonestReopen ? reopen : soonestReopen;
                continue;
            }
            if (member.Priority < tier)
            {
                // Members are ordered by priority: a lower tier only ever starts the set.
                tier = member.Priority;
                eligible = 0;
            }
            if (member.Priority == tier)
            {
                eligible |= 1UL << i;
            }
        }
        if (eligible == 0)
        {
            return null;
        }
        var chosen = ulong.PopCount(eligible) == 1
            ? members[(int)ulong.TrailingZeroCount(eligible)]
            : model.Strategy == RoutingStrategy.LatencyAware ? ByLatency(model, eligible, now, options) : ByWeight(model, eligible);
        chosen.Deployment.MarkChosen(now);
        return chosen;
    }

    /// <summary>A deployment of unknown window is left for the upstream to judge, but is no "larger window" to fall back to.</summary>
    private static bool Fits(DeploymentMember member, in SelectionFilter filter)
        => member.ContextWindow is { } window ? window >= filter.RequiredWindow && window > filter.AboveWindow : filter.AboveWindow == 0;

    /// <summary>Smooth weighted round robin (as nginx does it): every eligible member gains its weight, the richest is
    /// chosen and pays the total, so any run of calls splits exactly by weight with the members interleaved.</summary>
    private static DeploymentMember ByWeight(CatalogModel model, ulong eligible)
    {
        var members = model.Members;
        lock (model.SelectionLock)
        {
            DeploymentMember? best = null;
            long total = 0;
            for (var bits = eligible; bits != 0; bits &= bits - 1)
            {
                var member = members[(int)ulong.TrailingZeroCount(bits)];
                member.CurrentWeight += member.Weight;
                total += member.Weight;
                if (best is null || member.CurrentWeight > best.CurrentWeight)
                {
                    best = member;
                }
            }
            best!.CurrentWeight -= total;
            return best;
        }
    }

    private static DeploymentMember ByLatency(CatalogModel model, ulong eligible, DateTimeOffset now, RoutingOptions options)
    {
        var members = model.Members;
        // A deployment nobody chose for a probe interval is chosen now, so its average stays true.
        var probeBefore = (now - options.ProbeInterval).UtcTicks;
        DeploymentMember? stalest = null;
        long weights = 0;
        for (var bits = eligible; bits != 0; bits &= bits - 1)
        {
            var member = members[(int)ulong.TrailingZeroCount(bits)];
            weights += member.Weight;
            var last = member.Deployment.LastChosenTicks;
            if (last < probeBefore && (stalest is null || last < stalest.Deployment.LastChosenTicks))
            {
                stalest = member;
            }
        }
        if (stalest is not null)
        {
            return stalest;
        }
        var first = Draw(members, eligible, Random.Shared.NextInt64(weights));
        var second = Draw(members, eligible & ~(1UL << first.Index), Random.Shared.NextInt64(weights - first.Weight));
        return Score(second) < Score(first) ? second : first;
    }

    /// <summary>The member whose weight range holds <paramref name="ticket"/> (in [0, the bits' total weight)).</summary>
    private static DeploymentMember Draw(IReadOnlyList<DeploymentMember> members, ulong bits, long ticket)
    {
        for (; bits != 0; bits &= bits - 1)
        {
            var member = members[(int)ulong.TrailingZeroCount(bits)];
            if ((ticket -= member.Weight) < 0)
            {
                return member;
            }
        }
        throw new InvalidOperationException("A weighted draw ran past the total weight.");
    }

    /// <summary>Expected wait: the smoothed time to first byte, times the calls already queued on it. An unmeasured
    /// deployment scores 0, so it is measured first.</summary>
    private static double Score(DeploymentMember member) => member.Deployment.LatencyMs * (member.Deployment.InFlight + 1);
}
