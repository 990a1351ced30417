namespace Parley.Silo.Audit.Stores;

/// <summary>Where audit records are kept. Writes are idempotent per (silo, seq), so a spool replayed twice, or a batch
/// retried after an unknown outcome, stores each record exactly once; every write also advances the chain's head in
/// the same transaction.</summary>
public interface IAuditStore
{
    /// <summary>Creates the tables if they are missing.</summary>
    Task EnsureSchemaAsync(CancellationToken cancellationToken);

    /// <summary>Writes a batch in one transaction, ignoring records already stored.</summary>
    Task WriteAsync(IReadOnlyList<AuditRecord> records, CancellationToken cancellationToken);

    /// <summary>Records matching the filter, newest first, after the filter's cursor.</summary>
    IAsyncEnumerable<AuditRecord> QueryAsync(AuditFilter filter, int limit, CancellationToken cancellationToken);

    /// <summary>Every chain's checkpoint and head.</summary>
    Task<IReadOnlyList<AuditChain>> GetChainsAsync(CancellationToken cancellationToken);

    /// <summary>A chain's records in sequence order from <paramref name="fromSeq"/>.</summary>
    IAsyncEnumerable<AuditRecord> ReadChainAsync(string silo, long fromSeq, CancellationToken cancellationToken);

    /// <summary>Deletes each chain's records older than <paramref name="cutoffUs"/> up to its first newer one, keeping the
    /// hash at the cut as the chain's checkpoint. Returns the records deleted.</summary>
    Task<long> ApplyRetentionAsync(long cutoffUs, CancellationToken cancellationToken);
}

/// <summary>A chain's state: verification starts at <see cref="FirstSeq"/> from <see cref="FirstPreviousHash"/> (the
/// genesis hash, or the checkpoint retention left) and must end at <see cref="LastSeq"/> with <see cref="LastHash"/>.</summary>
public sealed record AuditChain(string Silo, long FirstSeq, byte[] FirstPreviousHash, long LastSeq, byte[] LastHash);

/// <summary>Query filters (all optional) and the keyset cursor: records strictly before (time, silo, seq).</summary>
public sealed record AuditFilter
{
    public long? FromUs { get; init; }
    public long? ToUs { get; init; }
    public string? UserId { get; init; }
    public string? KeyId { get; init; }
    public string? Model { get; init; }
    public int? Status { get; init; }
    public string? ConversationId { get; init; }
    public AuditCursor? After { get; init; }
}

public sealed record AuditCursor(long TimeUs, string Silo, long Seq);
