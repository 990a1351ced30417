namespace Parley.Runtime.Membership;

/// <summary>The published set of live silos: Active rows whose IAmAlive is at most the death timeout old. The list is
/// replaced only when the set of silos (id, address) changes, so consumers may cache work per list instance.</summary>
internal sealed class MembershipView(MembershipLog log) : IClusterMembership
{
    private volatile IReadOnlyList<MembershipEntry> _live = [];
    private TaskCompletionSource _changed = NewSignal();

    public IReadOnlyList<MembershipEntry> LiveSilos => _live;

    public Task WaitForChangeAsync(CancellationToken cancellationToken) => Volatile.Read(ref _changed).Task.WaitAsync(cancellationToken);

    /// <summary>Recomputes the live set from a table snapshot; returns true if it changed.</summary>
    public bool Update(MembershipTableData data, DateTimeOffset now, TimeSpan deathTimeout)
    {
        var live = data.Members
            .Select(m => m.Entry)
            .Where(e => IsLive(e, now, deathTimeout))
            .OrderBy(e => e.SiloId, StringComparer.Ordinal)
            .ToArray();
        var current = _live;
        if (live.Length == current.Count && live.Select(Identity).SequenceEqual(current.Select(Identity)))
        {
            return false;
        }
        _live = live;
        log.ViewChanged(live.Length, string.Join(", ", live.Select(e => e.SiloId)));
        Interlocked.Exchange(ref _changed, NewSignal()).TrySetResult();
        return true;
    }

    public static bool IsLive(MembershipEntry entry, DateTimeOffset now, TimeSpan deathTimeout)
        => entry.Status == SiloStatus.Active && now - entry.IAmAliveTime <= deathTimeout;

    private static (string, string) Identity(MembershipEntry e) => (e.SiloId, e.Address);

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
