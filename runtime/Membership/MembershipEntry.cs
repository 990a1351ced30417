namespace Parley.Runtime.Membership;

/// <summary>One silo's row in the membership table.</summary>
/// <param name="SiloId">Unique per process start (host, port and a start generation).</param>
/// <param name="Address">The base URL at which the silo serves HTTP, e.g. <c>http://10.0.0.5:8080</c>.</param>
public sealed record MembershipEntry(
    string SiloId,
    string Address,
    SiloStatus Status,
    string HostName,
    DateTimeOffset StartTime,
    DateTimeOffset IAmAliveTime);

/// <summary>The table's version: every status change increments it by compare-and-set.</summary>
public sealed record TableVersion(int Version, string VersionEtag)
{
    public TableVersion Next() => this with { Version = Version + 1 };
}

public sealed record MembershipTableData(IReadOnlyList<(MembershipEntry Entry, string ETag)> Members, TableVersion Version);
