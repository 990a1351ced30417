using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Parley.GrainInterfaces.Quotas;
using Parley.Grains.Quotas;
using Parley.Grains.Quotas.Ledger;
using Parley.Silo.Auth;
using Parley.Silo.Quotas.Alerts;
using Parley.Grains.Redis;

namespace Parley.Silo.Quotas;

/// <summary>Admits each chat completion against the caller's limits before the upstream call (one ledger decision:
/// one Redis script) and settles it with the actual use afterwards. Redis being unreachable is handled by policy:
/// fail-open decides in process (per silo), fail-closed refuses.</summary>
internal sealed partial class QuotaGate(
    IQuotaLedger ledger,
    MemoryQuotaLedger fallback,
    QuotaSettingsCache settings,
    QuotaStatus status,
    QuotaAlertDispatcher alerts,
    IOptions<QuotaOptions> options,
    TimeProvider timeProvider,
    ILogger<QuotaGate> logger)
{
    private readonly QuotaLimits _defaults = options.Value.Defaults.ToLimits();

    /// <param name="promptTokens">The prompt as counted; the reply allowance is the request's limit or the default.</param>
    public async ValueTask<QuotaDecision> AdmitAsync(Caller caller, string model, int promptTokens, int? maxReplyTokens, CancellationToken cancellationToken)
    {
        var quota = options.Value;
        if (!quota.Enabled || caller.IsAdmin)
        {
            return QuotaDecision.Unlimited;
        }
        var userSettings = await settings.GetAsync(caller.UserId).ConfigureAwait(false);
        var userLimits = userSettings.User.Or(_defaults);
        var keyLimits = userSettings.ForKey(caller.KeyId) is { IsEmpty: false } own ? own : null;
        if (userLimits.IsEmpty && keyLimits is null)
        {
            return QuotaDecision.Unlimited;
        }
        var reply = maxReplyTokens ?? quota.DefaultReplyTokens;
        var price = quota.Prices.GetValueOrDefault(model);
        // A key is tracked only while it has limits of its own: its counters would double every decision's work for
        // nothing (usage per key is shown for keys with limits).
        var trackedKey = keyLimits is null ? string.Empty : caller.KeyId;
        var request = new AdmissionRequest(caller.UserId, trackedKey, "res_" + Guid.NewGuid().ToString("N"), userLimits, keyLimits,
            (int)Math.Min((long)promptTokens + reply, int.MaxValue), QuotaMoney.Cost(price, promptTokens, reply), timeProvider.GetUtcNow(),
            quota.ReservationTtl);

        var decidedBy = ledger;
        AdmissionResult result;
        try
        {
            result = await ledger.AdmitAsync(request, cancellationToken).WaitAsync(quota.StoreTimeout, timeProvider, cancellationToken).ConfigureAwait(false);
            status.Record(QuotaMode.Cluster, result.Refusal);
        }
        catch (Exception e) when (RedisFailures.IsUnavailable(e) && !cancellationToken.IsCancellationRequested)
        {
            var policy = HasMoneyBudget(userLimits) || HasMoneyBudget(keyLimits) ? quota.OnRedisFailureWithMoneyBudgets : quota.OnRedisFailure;
            if (policy == QuotaFailurePolicy.Closed)
            {
                status.Record(QuotaMode.Refusing, refusal: null);
                LogRefusingWithoutStore(logger, caller.UserId, e);
                return QuotaDecision.StoreUnavailable;
            }
            LogDecidingInProcess(logger, caller.UserId, e);
            decidedBy = fallback;
            result = await fallback.AdmitAsync(request, cancellationToken).ConfigureAwait(false);
            status.Record(QuotaMode.InProcess, result.Refusal);
        }
        Publish(result.Alerts);
        return new QuotaDecision(result, request, decidedBy, price);
    }

    /// <summary>Replaces the reservation by what was used. Never throws: a reservation that cannot be settled is released
    /// by the ledger when its TTL ends.</summary>
    public async Task SettleAsync(QuotaDecision decision, long inputTokens, long outputTokens)
    {
        if (decision.Request is not { } request || decision.Ledger is not { } decidedBy || !decision.Result!.Admitted)
        {
            return;
        }
        var settlement = new SettlementRequest(request.UserId, request.KeyId, request.ReservationId, request.UserLimits, request.KeyLimits,
            (int)Math.Min(inputTokens + outputTokens, int.MaxValue), QuotaMoney.Cost(decision.Price, inputTokens, outputTokens), timeProvider.GetUtcNow());
        try
        {
            var result = await decidedBy.SettleAsync(settlement, CancellationToken.None).WaitAsync(options.Value.StoreTimeout, timeProvider).ConfigureAwait(false);
            Publish(result.Alerts);
        }
        catch (Exception e)
        {
            LogSettleFailed(logger, request.UserId, request.ReservationId, e);
        }
    }

    private void Publish(IReadOnlyList<BudgetAlert> crossed)
    {
        foreach (var alert in crossed)
        {
            alerts.Publish(alert);
        }
    }

    private static bool HasMoneyBudget(QuotaLimits? limits) => limits is { MicrosUsdPerDay: not null } or { MicrosUsdPerMonth: not null };


    [LoggerMessage(Level = LogLevel.Warning, Message = "Quota store unreachable; deciding in process for user {UserId} (fail-open)")]
    private static partial void LogDecidingInProcess(ILogger logger, string userId, Exception exception);

    [LoggerMessage(Level = LogLevel.Error, Message = "Quota store unreachable; refusing user {UserId} (fail-closed)")]
    private static partial void LogRefusingWithoutStore(ILogger logger, string userId, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not settle reservation {ReservationId} of user {UserId}; it is released when its TTL ends")]
    private static partial void LogSettleFailed(ILogger logger, string userId, string reservationId, Exception exception);
}

/// <summary>The outcome of one admission: unlimited, refused, store unavailable (fail-closed), or admitted with a
/// reservation to settle.</summary>
internal sealed class QuotaDecision
{
    public static QuotaDecision Unlimited { get; } = new(null, null, null, null);

    public static QuotaDecision StoreUnavailable { get; } = new(null, null, null, null) { Unavailable = true };

    public QuotaDecision(AdmissionResult? result, AdmissionRequest? request, IQuotaLedger? ledger, ModelPrice? price)
    {
        Result = result;
        Request = request;
        Ledger = ledger;
        Price = price;
    }

    public AdmissionResult? Result { get; }
    public AdmissionRequest? Request { get; }
    public IQuotaLedger? Ledger { get; }
    public ModelPrice? Price { get; }
    public bool Unavailable { get; private init; }

    public bool Refused => Unavailable || Result is { Admitted: false };
}
