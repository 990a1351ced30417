namespace Parley.Grains.UpstreamKeys;

/// <summary>The memory store's walk over a pool's keys (the AcquireAny script walks alike): the soonest usable start at
/// or before AcceptUntil, the keys tied on it, and otherwise the soonest refusal.</summary>
internal struct PoolChoice(DateTimeOffset now, DateTimeOffset acceptUntil)
{
    public DateTimeOffset Best { get; private set; } = DateTimeOffset.MaxValue;

    /// <summary>Bit i: key i can start at <see cref="Best"/>.</summary>
    public ulong Candidates { get; private set; }

    public int Tied { get; private set; }

    public int First { get; private set; } = -1;

    public ulong DisabledMask { get; private set; }

    private bool _busy;
    private PacingStatus _refusal = PacingStatus.Disabled;
    private int _refusalIndex = -1;
    private DateTimeOffset _refusalAt = DateTimeOffset.MaxValue;

    /// <summary><paramref name="at"/> is the first free start for a usable (or busy) key, else when the key comes back.</summary>
    public void Offer(int index, PacingStatus status, DateTimeOffset at)
    {
        var bit = 1UL << index;
        switch (status)
        {
            case PacingStatus.Disabled:
                DisabledMask |= bit;
                return;
            case PacingStatus.Blocked or PacingStatus.Cooling:
                Refuse(index, status, at);
                return;
        }
        if (at > acceptUntil)
        {
            Refuse(index, PacingStatus.Later, at);
            return;
        }
        if (status == PacingStatus.Busy)
        {
            _busy = true;
            return;
        }
        if (at < Best)
        {
            Best = at;
            Candidates = bit;
            Tied = 1;
            First = index;
        }
        else if (at == Best)
        {
            Candidates |= bit;
            Tied++;
        }
    }

    public readonly PoolPacingResult Refusal() => _busy
        ? new PoolPacingResult(PacingStatus.Busy, -1, now, DisabledMask)
        : new PoolPacingResult(_refusal, _refusalIndex, _refusalAt, DisabledMask);

    private void Refuse(int index, PacingStatus status, DateTimeOffset at)
    {
        if (at < _refusalAt)
        {
            _refusal = status;
            _refusalIndex = index;
            _refusalAt = at;
        }
    }
}
