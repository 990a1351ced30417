using System.Collections.Concurrent;

namespace Parley.Grains.Quotas.Ledger;

/// <summary>The ledger of one process: the embedded default, and the silo's fallback when Redis is unreachable and
/// the policy is fail-open (its limits then hold per silo, not per cluster). Time comes only from the requests, so it
/// behaves exactly like the Redis ledger for the same calls. Each user's state is guarded by its own lock; old
/// periods, their alert markers and emptied windows are dropped on the user's next call.</summary>
public sealed class MemoryQuotaLedger : IQuotaLedger
{
    private readonly ConcurrentDictionary<string, MemoryQuotaUser> _users = new(StringComparer.Ordinal);

    public Task<AdmissionResult> AdmitAsync(AdmissionRequest request, CancellationToken cancellationToken = default)
    {
        QuotaLedgerRules.Validate(request);
        var user = UserOf(request.UserId);
        lock (user)
        {
            return Task.FromResult(user.Admit(request));
        }
    }

    public Task<SettlementResult> SettleAsync(SettlementRequest request, CancellationToken cancellationToken = default)
    {
        QuotaLedgerRules.Validate(request);
        var user = UserOf(request.UserId);
        lock (user)
        {
            return Task.FromResult(user.Settle(request));
        }
    }

    public Task<bool> ReleaseAsync(ReleaseRequest request, CancellationToken cancellationToken = default)
    {
        QuotaLedgerRules.Validate(request);
        var user = UserOf(request.UserId);
        lock (user)
        {
            return Task.FromResult(user.Release(request));
        }
    }

    public Task<QuotaUsage> GetUsageAsync(string userId, string? keyId, DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(userId);
        var user = UserOf(userId);
        lock (user)
        {
            return Task.FromResult(user.Usage(keyId, now));
        }
    }

    private MemoryQuotaUser UserOf(string userId) => _users.GetOrAdd(userId, static id => new MemoryQuotaUser(id));
}
