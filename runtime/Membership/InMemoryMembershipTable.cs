using System.Globalization;

namespace Parley.Runtime.Membership;

/// <summary>A membership table inside this process: for a single silo (the embedded default) and for tests. Same
/// compare-and-set rules as the Redis table.</summary>
public sealed class InMemoryMembershipTable : IMembershipTable
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, (MembershipEntry Entry, string ETag)> _rows = new(StringComparer.Ordinal);
    private TableVersion _version = InitialVersion;
    private long _etags;

    /// <summary>The version of an empty table; its ETag is what a first writer must present.</summary>
    public static readonly TableVersion InitialVersion = new(0, "0");

    public Task InitializeMembershipTable(bool tryInitTableVersion, CancellationToken cancellationToken = default) => Task.CompletedTask;

    public Task<MembershipTableData> ReadAll(CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            return Task.FromResult(new MembershipTableData(
                [.. _rows.Values.OrderBy(r => r.Entry.SiloId, StringComparer.Ordinal)], _version));
        }
    }

    public Task<MembershipTableData> ReadRow(string siloId, CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            IReadOnlyList<(MembershipEntry, string)> members = _rows.TryGetValue(siloId, out var row) ? [row] : [];
            return Task.FromResult(new MembershipTableData(members, _version));
        }
    }

    public Task<bool> InsertRow(MembershipEntry entry, TableVersion tableVersion, CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            if (!VersionMatches(tableVersion) || _rows.ContainsKey(entry.SiloId))
            {
                return Task.FromResult(false);
            }
            _rows[entry.SiloId] = (entry, NextETag());
            BumpVersion(tableVersion);
            return Task.FromResult(true);
        }
    }

    public Task<bool> UpdateRow(MembershipEntry entry, string etag, TableVersion tableVersion, CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            if (!VersionMatches(tableVersion)
                || !_rows.TryGetValue(entry.SiloId, out var row) || row.ETag != etag)
            {
                return Task.FromResult(false);
            }
            _rows[entry.SiloId] = (entry, NextETag());
            BumpVersion(tableVersion);
            return Task.FromResult(true);
        }
    }

    public Task UpdateIAmAlive(MembershipEntry entry, CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            if (!_rows.TryGetValue(entry.SiloId, out var row))
            {
                throw new SiloRowNotFoundException(entry.SiloId);
            }
            // Only the time changes, and the row keeps its ETag, so a heartbeat never makes a status update conflict.
            _rows[entry.SiloId] = (row.Entry with { IAmAliveTime = entry.IAmAliveTime }, row.ETag);
            return Task.CompletedTask;
        }
    }

    public Task CleanupDefunctSiloEntries(DateTimeOffset beforeDate, CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            foreach (var id in _rows.Where(r => r.Value.Entry.Status == SiloStatus.Dead && r.Value.Entry.IAmAliveTime < beforeDate)
                         .Select(r => r.Key).ToList())
            {
                _rows.Remove(id);
            }
            return Task.CompletedTask;
        }
    }

    public Task DeleteMembershipTableEntries(string clusterId, CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            _rows.Clear();
            _version = InitialVersion;
            return Task.CompletedTask;
        }
    }

    // A writer presents the ETag of the version it read and a higher version number (normally read.Next()).
    private bool VersionMatches(TableVersion requested)
        => requested.VersionEtag == _version.VersionEtag && requested.Version > _version.Version;

    // The version's ETag is its number: versions only grow, so an ETag is never reused.
    private void BumpVersion(TableVersion requested)
        => _version = new TableVersion(requested.Version, requested.Version.ToString(CultureInfo.InvariantCulture));

    private string NextETag() => (++_etags).ToString(CultureInfo.InvariantCulture);
}
