using Parley.GrainInterfaces.Quotas;

namespace Parley.Grains.Quotas;

/// <summary>Admission and accounting for quotas. The Redis ledger decides each admission in ONE script over keys of
/// the user's hash slot (<c>{prefix:user:&lt;id&gt;}:…</c>; a key's counters live in its user's slot too), so N silos
/// admit exactly what one would; the memory ledger is the embedded default (and the in-process fallback when Redis is
/// unreachable and the policy is fail-open). Both pass the same contract suite.
/// Per-minute limits are sliding windows (a log of the last 60 s, not fixed windows); per-day and per-month budgets
/// are UTC calendar periods. Tokens and money are reserved at admission and reconciled by <see cref="SettleAsync"/>;
/// a reservation not settled within its TTL (a silo died mid-call) is released by the next call on that user.</summary>
public interface IQuotaLedger
{
    /// <summary>Admits the request for the user and (when it has limits) the key, all or nothing, and reserves its
    /// tokens and cost; or refuses with the first limit hit and when to retry.</summary>
    Task<AdmissionResult> AdmitAsync(AdmissionRequest request, CancellationToken cancellationToken = default);

    /// <summary>Replaces the reservation by the actual use. Idempotent: settling an unknown or already settled
    /// (or expired) reservation changes nothing and returns no alerts.</summary>
    Task<SettlementResult> SettleAsync(SettlementRequest request, CancellationToken cancellationToken = default);

    /// <summary>Takes back an admission whose answer never reached its caller (the caller stopped waiting and refused
    /// the request): everything it took goes back — its place in the minute windows, its tokens and money, its
    /// concurrency slot. When the admission has not run (yet), the id is marked for the reservation TTL so that the
    /// admission refuses itself (<see cref="Ledger.ReleasedReservationException"/>) should it still arrive. Idempotent.
    /// Returns whether an admission was taken back.</summary>
    Task<bool> ReleaseAsync(ReleaseRequest request, CancellationToken cancellationToken = default);

    /// <summary>What the user (or one key of it) has used in each window and period, reservations included.</summary>
    Task<QuotaUsage> GetUsageAsync(string userId, string? keyId, DateTimeOffset now, CancellationToken cancellationToken = default);
}

/// <param name="ReservationId">Unique per request; settling uses it.</param>
/// <param name="KeyLimits">The virtual key's own limits, or null when the key has none.</param>
/// <param name="Tokens">Tokens reserved: prompt tokens as counted plus the reply allowance.</param>
/// <param name="CostMicrosUsd">Money reserved for those tokens.</param>
/// <param name="ReservationTtl">After this the reservation is released if never settled.</param>
public sealed record AdmissionRequest(
    string UserId,
    string KeyId,
    string ReservationId,
    QuotaLimits UserLimits,
    QuotaLimits? KeyLimits,
    int Tokens,
    long CostMicrosUsd,
    DateTimeOffset Now,
    TimeSpan ReservationTtl);

public enum QuotaScope
{
    User,
    Key,
}

public enum QuotaKind
{
    RequestsPerMinute,
    TokensPerMinute,
    ConcurrentRequests,
    TokensPerDay,
    TokensPerMonth,
    MoneyPerDay,
    MoneyPerMonth,
}

/// <summary>The state of one per-minute window after the decision, for the <c>x-ratelimit-*</c> headers (of the
/// scope whose remaining is lowest). Null limit: no such limit.</summary>
/// <param name="ResetAfter">Until the window has room for one more request (requests) or is empty again (tokens), as OpenAI reports it.</param>
public readonly record struct WindowState(long? Limit, long Remaining, TimeSpan ResetAfter);

/// <param name="RetryAfter">When the refused request would be admitted if nothing else happened meanwhile (for the
/// concurrency limit: the configured reservation TTL at most, since it depends on other calls ending).</param>
public sealed record QuotaRefusal(QuotaScope Scope, QuotaKind Kind, long Limit, TimeSpan RetryAfter);

/// <summary>A budget crossed one of its alert thresholds (50, 80, 100 %) in a period: reported once per threshold,
/// budget, scope and period, cluster-wide, by whichever call crossed it.</summary>
/// <param name="Period">The day (<c>2026-11-22</c>) or month (<c>2026-11</c>) in UTC.</param>
public sealed record BudgetAlert(string UserId, string? KeyId, QuotaScope Scope, QuotaKind Kind, int ThresholdPercent, string Period, long Used, long Limit);

public sealed record AdmissionResult(
    bool Admitted,
    QuotaRefusal? Refusal,
    WindowState Requests,
    WindowState Tokens,
    IReadOnlyList<BudgetAlert> Alerts);

/// <param name="Tokens">Actual prompt plus completion tokens (what was streamed, when a stream died).</param>
public sealed record SettlementRequest(
    string UserId,
    string KeyId,
    string ReservationId,
    QuotaLimits UserLimits,
    QuotaLimits? KeyLimits,
    int Tokens,
    long CostMicrosUsd,
    DateTimeOffset Now);

public sealed record SettlementResult(bool Settled, IReadOnlyList<BudgetAlert> Alerts);

/// <param name="KeyId">The key the admission named ('' when it tracked none).</param>
/// <param name="ReservationTtl">How long the mark of an id not (yet) admitted must last: at least as long as the
/// admission could still arrive.</param>
public sealed record ReleaseRequest(string UserId, string KeyId, string ReservationId, DateTimeOffset Now, TimeSpan ReservationTtl);

/// <summary>Use in each window and period; reservations in flight are included.</summary>
public sealed record QuotaUsage(
    long RequestsLastMinute,
    long TokensLastMinute,
    long ConcurrentRequests,
    long TokensToday,
    long TokensThisMonth,
    long MicrosUsdToday,
    long MicrosUsdThisMonth,
    string Day,
    string Month);
