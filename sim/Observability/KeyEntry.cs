namespace Parley.Sim.Observability;

/// <summary>Everything the simulator tracks for one API key: its counters and its rate-limit window.</summary>
internal sealed class KeyEntry(string key)
{
    public string Key { get; } = key;

    /// <summary>Safe to show: never the whole key.</summary>
    public string Hint { get; } = KeyHints.For(key);

    public long Requests;
    public long RateLimited;

    // The fixed rate-limit window; guarded by WindowLock.
    public readonly Lock WindowLock = new();
    public long WindowStart;
    public bool WindowOpen;
    public int RequestsUsed;
    public long TokensUsed;
}
