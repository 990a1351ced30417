namespace Parley.ClientApi.Routing;

/// <summary>An immutable snapshot of the silos to route over, with rendezvous (highest-random-weight) ranking: a key
/// goes to the silo with the highest <see cref="RoutingHash.Weight"/>, so when a silo leaves only its own keys move,
/// and every replica with the same set picks the same silo. Nodes are kept sorted by address, which makes the
/// (practically impossible) tie between two weights break the same way everywhere.</summary>
public sealed class SiloSet
{
    public static readonly SiloSet Empty = new([]);

    private readonly SiloNode[] _nodes;

    public SiloSet(IEnumerable<string> addresses)
    {
        ArgumentNullException.ThrowIfNull(addresses);
        var byAddress = new Dictionary<string, SiloNode>(StringComparer.Ordinal);
        foreach (var address in addresses)
        {
            var node = new SiloNode(address);
            byAddress.TryAdd(node.Address, node);
        }
        _nodes = [.. byAddress.Values.OrderBy(n => n.Address, StringComparer.Ordinal)];
    }

    public int Count => _nodes.Length;

    public IReadOnlyList<SiloNode> Nodes => _nodes;

    /// <summary>The best silo for the key, or null when the set is empty.</summary>
    public SiloNode? Pick(ulong keyHash)
    {
        var cursor = default(RendezvousCursor);
        return Next(keyHash, ref cursor);
    }

    /// <summary>The next silo in the key's ranking after <paramref name="cursor"/> (start with <c>default</c>), or
    /// null when every silo has been returned. Recomputes the weights instead of sorting them, so walking the first
    /// few entries of a ranking allocates nothing and the cursor can live across awaits.</summary>
    public SiloNode? Next(ulong keyHash, ref RendezvousCursor cursor)
    {
        var best = -1;
        var bestWeight = 0UL;
        for (var i = 0; i < _nodes.Length; i++)
        {
            var weight = RoutingHash.Weight(keyHash, _nodes[i].Hash);
            if (cursor.Started && !RanksBelow(weight, i, cursor.Weight, cursor.Index))
            {
                continue;
            }
            if (best < 0 || RanksBelow(bestWeight, best, weight, i))
            {
                best = i;
                bestWeight = weight;
            }
        }
        if (best < 0)
        {
            return null;
        }
        cursor = new RendezvousCursor(bestWeight, best, Started: true);
        return _nodes[best];
    }

    /// <summary>True when the given addresses (in any order, without duplicates) are exactly this set's.</summary>
    public bool HasSameAddresses<T>(IReadOnlyList<T> items, Func<T, string> address)
    {
        if (items.Count != _nodes.Length)
        {
            return false;
        }
        for (var i = 0; i < items.Count; i++)
        {
            if (!Contains(address(items[i])))
            {
                return false;
            }
        }
        return true;
    }

    private bool Contains(string address)
    {
        var trimmed = address.AsSpan().TrimEnd('/');
        var lo = 0;
        var hi = _nodes.Length - 1;
        while (lo <= hi)
        {
            var mid = (lo + hi) >>> 1;
            var cmp = _nodes[mid].Address.AsSpan().SequenceCompareTo(trimmed);
            if (cmp == 0)
            {
                return true;
            }
            if (cmp < 0)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid - 1;
            }
        }
        return false;
    }

    // Total order of the ranking: higher weight first, then lower index.
    private static bool RanksBelow(ulong weight, int index, ulong otherWeight, int otherIndex)
        => weight < otherWeight || (weight == otherWeight && index > otherIndex);
}

/// <summary>Position in a key's rendezvous ranking: the last silo returned.</summary>
public readonly record struct RendezvousCursor(ulong Weight, int Index, bool Started);
