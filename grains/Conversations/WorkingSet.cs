using Parley.Grains.Conversations.Context;
using Parley.Grains.Conversations.Transcript;

namespace Parley.Grains.Conversations;

/// <summary>What an activation keeps of its transcript: the entries the next prompt can be built from (from
/// <see cref="FromSeq"/> to the last), and the turn keys they end, so a retried turn is recognised without a read. Dropped
/// when the conversation sits idle; read back in one round trip on its next turn.</summary>
internal sealed class WorkingSet(long lastSeq, long fromSeq, List<TranscriptEntry> entries)
{
    private Dictionary<string, TranscriptEntry>? _turns;

    // The running total behind TokensFrom: tokens of Entries[_tokensFrom.._tokensUpTo) under _tokensEncoding.
    private string? _tokensEncoding;
    private int _tokensFrom;
    private int _tokensUpTo;
    private long _tokens;

    /// <summary>The number of the last entry appended to the transcript.</summary>
    public long LastSeq { get; private set; } = lastSeq;

    /// <summary>The first entry number held (entries before it are not loaded).</summary>
    public long FromSeq { get; private set; } = fromSeq;

    public List<TranscriptEntry> Entries { get; } = entries;

    /// <summary>The budget the held entries were last trimmed for (0: not known, e.g. read back from the transcript).
    /// Older entries let go at that budget cannot fit a prompt of the same or a smaller one.</summary>
    public int TrimmedForBudget { get; private set; }

    /// <summary>Tokens of the entries from index <paramref name="from"/> on, under <paramref name="encoding"/>. Kept as a
    /// running total that a turn's append extends by its own entries, so the high-water check after every turn costs
    /// what the turn weighs, not a walk over the whole working set; any other change to the entries starts it over.</summary>
    public int TokensFrom(int from, string encoding)
    {
        if (!string.Equals(_tokensEncoding, encoding, StringComparison.Ordinal) || _tokensFrom != from || _tokensUpTo < from || _tokensUpTo > Entries.Count)
        {
            (_tokensEncoding, _tokensFrom, _tokensUpTo, _tokens) = (encoding, from, from, 0);
        }
        for (; _tokensUpTo < Entries.Count; _tokensUpTo++)
        {
            var entry = Entries[_tokensUpTo];
            _tokens += entry.TokensUnder(encoding);
        }
        return (int)Math.Min(int.MaxValue, _tokens);
    }

    public bool TryGetTurn(string key, out TranscriptEntry reply)
    {
        _turns ??= IndexTurns(Entries);
        return _turns.TryGetValue(key, out reply!);
    }

    public void Append(IReadOnlyList<TranscriptEntry> entries)
    {
        foreach (var entry in entries)
        {
            Entries.Add(entry);
            if (_turns is not null && entry.TurnKey is { } key)
            {
                _turns[key] = entry;
            }
            LastSeq = Math.Max(LastSeq, entry.Seq);
        }
    }

    /// <summary>Puts older entries (read from the transcript) in front of the held ones.</summary>
    public void Prepend(IReadOnlyList<TranscriptEntry> older, long fromSeq)
    {
        Entries.InsertRange(0, older);
        FromSeq = fromSeq;
        TrimmedForBudget = 0;
        _turns = null;
        _tokensEncoding = null;
    }

    /// <summary>Lets go of the entries before index <paramref name="keepFrom"/>: no prompt of <paramref name="budget"/>
    /// sends them.</summary>
    public void TrimBefore(int keepFrom, int budget)
    {
        if (keepFrom <= 0)
        {
            return;
        }
        TrimmedForBudget = budget;
        FromSeq = keepFrom < Entries.Count ? Entries[keepFrom].Seq : LastSeq + 1;
        Entries.RemoveRange(0, keepFrom);
        _turns = null;
        _tokensEncoding = null;
    }

    /// <summary>Lets go of the entries a new summary covers.</summary>
    public void TrimThrough(long seq)
    {
        var count = 0;
        while (count < Entries.Count && Entries[count].Seq <= seq)
        {
            count++;
        }
        if (count > 0)
        {
            Entries.RemoveRange(0, count);
            _turns = null;
            _tokensEncoding = null;
        }
        FromSeq = Math.Max(FromSeq, seq + 1);
    }

    public bool Remove(string itemId)
    {
        var index = Entries.FindIndex(e => e.Id == itemId);
        if (index < 0)
        {
            return false;
        }
        Entries.RemoveAt(index);
        _turns = null;
        _tokensEncoding = null;
        return true;
    }

    private static Dictionary<string, TranscriptEntry> IndexTurns(List<TranscriptEntry> entries)
    {
        var turns = new Dictionary<string, TranscriptEntry>(StringComparer.Ordinal);
        foreach (var entry in entries)
        {
            if (entry.TurnKey is { } key)
            {
                turns[key] = entry;
            }
        }
        return turns;
    }
}
