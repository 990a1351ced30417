using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Parley.GrainInterfaces.Quotas;
using Parley.Grains.Quotas;
using Parley.Grains.Quotas.Ledger;
using Parley.Silo.Auth;
using Parley.Silo.Quotas.Alerts;
using Parley.Grains.Redis;
using Parley.ServiceDefaults.Logging;

namespace Parley.Silo.Quotas;

/// <summary>Admits each chat completion against the caller's limits before the upstream call (one ledger decision:
/// one Redis script) and settles it with the actual use afterwards. Each admission is decided exactly once:
/// <list type="bullet">
/// <item>Redis unreachable, the script provably never sent (<see cref="RedisFailures.NeverApplied"/>): the failure
/// policy decides, fail-open in process (per silo) or fail-closed (503).</item>
/// <item>No answer within <see cref="QuotaOptions.StoreTimeout"/> although the script was sent (a slow Redis, or the
/// connection failed mid-command): the script may have counted, or may still, so no second decision is made; the
/// request is refused with 503 and its reservation released (<see cref="UnansweredAdmissions"/>).</item>
/// </list></summary>
internal sealed partial class QuotaGate(
    IQuotaLedger ledger,
    MemoryQuotaLedger fallback,
    QuotaSettingsCache settings,
    QuotaStatus status,
    QuotaAlertDispatcher alerts,
    UnansweredAdmissions unanswered,
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
        // Not cancelled with the request: once sent, only its outcome tells whether it counted.
        var admission = ledger.AdmitAsync(request, CancellationToken.None);
        try
        {
            result = await admission.WaitAsync(quota.StoreTimeout, timeProvider, cancellationToken).ConfigureAwait(false);
            status.Record(QuotaMode.Cluster, result.Refusal);
        }
        catch (Exception e) when (RedisFailures.OutcomeUnknown(e) || e is OperationCanceledException)
        {
            // It may have counted, or may still: refuse rather than decide a second time, and take it back.
            unanswered.Release(admission, request);
            if (e is OperationCanceledException)
            {
                throw;
            }
            status.RecordUnanswered();
            LogUnanswered(logger, caller.UserId, quota.StoreTimeout, request.ReservationId, e);
            return QuotaDecision.StoreUnavailable;
        }
        catch (Exception e) when (RedisFailures.NeverApplied(e))
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
        // Settling is idempotent (a second settlement of one reservation changes nothing), so one whose outcome is
        // unknown is simply sent again once.
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                var result = await decidedBy.SettleAsync(settlement, CancellationToken.None).WaitAsync(options.Value.StoreTimeout, timeProvider).ConfigureAwait(false);
                Publish(result.Alerts);
                return;
            }
            catch (Exception e) when (attempt == 1 && RedisFailures.OutcomeUnknown(e))
            {
                LogSettleRetried(logger, request.UserId, request.ReservationId, e);
            }
            catch (Exception e)
            {
                LogSettleFailed(logger, request.UserId, request.ReservationId, e);
                return;
            }
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
    private static partial void LogDecidingInProcess(ILogger logger, [PseudonymousId] string userId, Exception exception);

    [LoggerMessage(Level = LogLevel.Error, Message = "Quota store unreachable; refusing user {UserId} (fail-closed)")]
    private static partial void LogRefusingWithoutStore(ILogger logger, [PseudonymousId] string userId, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The quota store did not answer within {StoreTimeout} for user {UserId} although Redis was reachable; refused with 503 rather than decided a second time, and reservation {ReservationId} is released")]
    private static partial void LogUnanswered(ILogger logger, [PseudonymousId] string userId, TimeSpan storeTimeout, string reservationId, Exception exception);

    [LoggerMessage(Level = LogLevel.Information, Message = "Settling reservation {ReservationId} of user {UserId} was not answered in time; sending it again")]
    private static partial void LogSettleRetried(ILogger logger, [PseudonymousId] string userId, string reservationId, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not settle reservation {ReservationId} of user {UserId}; it is released when its TTL ends")]
    private static partial void LogSettleFailed(ILogger logger, [PseudonymousId] string userId, string reservationId, Exception exception);
}

/// <summary>The outcome of one admission: unlimited, refused, store unavailable (fail-closed, or no answer in time), or
/// admitted with a reservation to settle.</summary>
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
