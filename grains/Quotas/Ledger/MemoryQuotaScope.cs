namespace Parley.Grains.Quotas.Ledger;

/// <summary>One scope's (the user's or one key's) minute windows and in-flight set, ordered like Redis sorted sets
/// (by score, then by member) so the memory ledger answers exactly what the scripts answer.</summary>
internal sealed class MemoryQuotaScope(string field)
{
    /// <summary>The scope's field prefix in the period counters (<c>u</c> or <c>k:&lt;keyId&gt;</c>).</summary>
    public string Field { get; } = field;

    /// <summary>Admissions in the requests window (score: admission ms).</summary>
    public SortedSet<Entry> Requests { get; } = new(EntryComparer.Instance);

    /// <summary>Token entries in the window (score: admission ms, or settlement ms for an excess settled late).</summary>
    public SortedSet<Entry> Tokens { get; } = new(EntryComparer.Instance);

    public Dictionary<string, long> Amounts { get; } = new(StringComparer.Ordinal);

    public long TokenSum { get; set; }

    /// <summary>Reservations in flight (score: expiry ms).</summary>
    public SortedSet<Entry> InFlight { get; } = new(EntryComparer.Instance);

    public bool IsEmpty => Requests.Count == 0 && Tokens.Count == 0 && InFlight.Count == 0;

    public void Trim(long nowMs)
    {
        var cutoff = nowMs - QuotaLedgerRules.WindowMs;
        RemoveUpTo(Requests, cutoff);
        while (Tokens.Count > 0 && Tokens.Min.Ms <= cutoff)
        {
            var gone = Tokens.Min;
            Tokens.Remove(gone);
            if (Amounts.Remove(gone.Id, out var amount))
            {
                TokenSum -= amount;
            }
        }
        if (Tokens.Count == 0)
        {
            TokenSum = 0;
        }
    }

    public static void RemoveUpTo(SortedSet<Entry> set, long ms)
    {
        while (set.Count > 0 && set.Min.Ms <= ms)
        {
            set.Remove(set.Min);
        }
    }

    /// <summary>The entry at a 0-based rank, ascending.</summary>
    public static Entry At(SortedSet<Entry> set, int rank)
    {
        foreach (var entry in set)
        {
            if (rank-- == 0)
            {
                return entry;
            }
        }
        throw new ArgumentOutOfRangeException(nameof(rank));
    }

    public void Record(string id, long nowMs, long tokens)
    {
        Requests.Add(new Entry(nowMs, id));
        Tokens.Add(new Entry(nowMs, id));
        Amounts[id] = tokens;
        TokenSum += tokens;
    }

    /// <summary>Removes an admission's window entries (it is taken back).</summary>
    public void Forget(string id)
    {
        Requests.RemoveWhere(e => e.Id == id);
        Tokens.RemoveWhere(e => e.Id == id);
        if (Amounts.Remove(id, out var amount))
        {
            TokenSum -= amount;
        }
    }

    /// <summary>Puts the actual amount in the window: in place while the admission is still in it, else any excess
    /// over the reservation as an entry of its own at <paramref name="nowMs"/>.</summary>
    public void Settle(string id, long nowMs, long reserved, long actual)
    {
        if (Amounts.TryGetValue(id, out var old))
        {
            Amounts[id] = actual;
            TokenSum += actual - old;
        }
        else if (actual > reserved)
        {
            var late = id + "#late";
            Tokens.Add(new Entry(nowMs, late));
            Amounts[late] = actual - reserved;
            TokenSum += actual - reserved;
        }
    }

    internal readonly record struct Entry(long Ms, string Id);

    private sealed class EntryComparer : IComparer<Entry>
    {
        public static readonly EntryComparer Instance = new();

        public int Compare(Entry x, Entry y)
        {
            var byScore = x.Ms.CompareTo(y.Ms);
            return byScore != 0 ? byScore : string.CompareOrdinal(x.Id, y.Id);
        }
    }
}
