using System.Runtime.CompilerServices;

namespace Parley.Silo.Audit.Stores;

/// <summary>What verifying one chain found: intact (every record from the checkpoint to the head present, in order, each
/// hash matching), or the first broken link.</summary>
/// <param name="BrokenSeq">The sequence number where the chain breaks.</param>
/// <param name="Reason"><c>missing</c> (a record absent: deleted, or still spooled), <c>altered</c> (its hash does not
/// match its content and predecessor), <c>head_mismatch</c> (records after the recorded head, or the head's hash
/// differs: the end was cut or replaced).</param>
public sealed record AuditChainVerdict(string Silo, bool Intact, long FirstSeq, long LastSeq, long Checked, long? BrokenSeq, string? Reason);

/// <summary>Recomputes each chain from its checkpoint: SHA-256(previous ‖ canonical record) must equal the stored hash,
/// sequence numbers must follow one another, and the last must be the chain's head.</summary>
public static class AuditVerifier
{
    public static async Task<AuditChainVerdict> VerifyAsync(IAuditStore store, AuditChain chain, CancellationToken cancellationToken)
    {
        var previous = chain.FirstPreviousHash;
        var expected = chain.FirstSeq;
        long checkedCount = 0;
        await foreach (var record in store.ReadChainAsync(chain.Silo, chain.FirstSeq, cancellationToken).ConfigureAwait(false))
        {
            if (record.Seq > chain.LastSeq)
            {
                return Broken(chain, checkedCount, record.Seq, "head_mismatch");
            }
            if (record.Seq != expected)
            {
                return Broken(chain, checkedCount, expected, "missing");
            }
            var hash = AuditCodec.ComputeHash(previous, record);
            if (!hash.AsSpan().SequenceEqual(record.Hash))
            {
                return Broken(chain, checkedCount, record.Seq, "altered");
            }
            previous = hash;
            expected++;
            checkedCount++;
        }
        if (expected <= chain.LastSeq)
        {
            return Broken(chain, checkedCount, expected, "missing");
        }
        if (checkedCount > 0 && !previous.AsSpan().SequenceEqual(chain.LastHash))
        {
            return Broken(chain, checkedCount, chain.LastSeq, "head_mismatch");
        }
        return new AuditChainVerdict(chain.Silo, true, chain.FirstSeq, chain.LastSeq, checkedCount, null, null);
    }

    public static async IAsyncEnumerable<AuditChainVerdict> VerifyAllAsync(IAuditStore store, string? silo, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        foreach (var chain in await store.GetChainsAsync(cancellationToken).ConfigureAwait(false))
        {
            if (silo is null || chain.Silo == silo)
            {
                yield return await VerifyAsync(store, chain, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private static AuditChainVerdict Broken(AuditChain chain, long checkedCount, long seq, string reason)
        => new(chain.Silo, false, chain.FirstSeq, chain.LastSeq, checkedCount, seq, reason);
}
