namespace Parley.Runtime.Membership;

/// <summary>The cluster's membership table, shaped after Orleans' <c>IMembershipTable</c>. Implementations:
/// in-memory (single process) and Redis (one hash per cluster: a <c>Version</c> field and one field per silo).</summary>
public interface IMembershipTable
{
    Task InitializeMembershipTable(bool tryInitTableVersion, CancellationToken cancellationToken = default);
    Task<MembershipTableData> ReadAll(CancellationToken cancellationToken = default);
    Task<MembershipTableData> ReadRow(string siloId, CancellationToken cancellationToken = default);

    /// <summary>Inserts a row if no row with that silo id exists and the table version's ETag matches; the table
    /// version becomes <paramref name="tableVersion"/>. Returns false on either conflict.</summary>
    Task<bool> InsertRow(MembershipEntry entry, TableVersion tableVersion, CancellationToken cancellationToken = default);

    /// <summary>Replaces a row if its ETag and the table version's ETag both match. Returns false on conflict.</summary>
    Task<bool> UpdateRow(MembershipEntry entry, string etag, TableVersion tableVersion, CancellationToken cancellationToken = default);

    /// <summary>Updates only the IAmAlive time of an existing row (no version change).</summary>
    Task UpdateIAmAlive(MembershipEntry entry, CancellationToken cancellationToken = default);

    Task CleanupDefunctSiloEntries(DateTimeOffset beforeDate, CancellationToken cancellationToken = default);
    Task DeleteMembershipTableEntries(string clusterId, CancellationToken cancellationToken = default);
}
