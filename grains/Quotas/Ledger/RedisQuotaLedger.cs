using System.Buffers.Binary;
using System.Globalization;
using Parley.GrainInterfaces.Quotas;
using Parley.Grains.Redis;
using StackExchange.Redis;

namespace Parley.Grains.Quotas.Ledger;

/// <summary>The cluster-wide ledger: each call is one script over the keys of the user's hash slot (see
/// <see cref="RedisQuotaKeys"/>), sent as EVALSHA (StackExchange.Redis loads the script once per server and sends its
/// hash after), so N silos admit exactly what one would in one round trip per decision. Redis failures
/// (<see cref="RedisException"/>, <see cref="TimeoutException"/>) propagate: the caller's failure policy decides, told
/// apart by <see cref="RedisFailures"/>. Nothing is sent while Redis is not connected: the call fails at once with a
/// failure that provably never ran, rather than waiting in the multiplexer's backlog and running after its caller
/// has decided without it.</summary>
public sealed class RedisQuotaLedger(IRedisConnection connection) : IQuotaLedger
{
    private const int HeaderLength = 17;
    private const int AlertLength = 6;
    private const int NumberCount = 21;

    public async Task<AdmissionResult> AdmitAsync(AdmissionRequest request, CancellationToken cancellationToken = default)
    {
        QuotaLedgerRules.Validate(request);
        var periods = QuotaPeriods.At(request.Now);
        var args = Arguments(periods, request.KeyId, request.ReservationId, request.Tokens, request.CostMicrosUsd,
            (long)request.ReservationTtl.TotalMilliseconds, request.UserLimits, request.KeyLimits);
        var result = await EvaluateAsync(RedisQuotaLedgerScripts.Admit, request.UserId, request.KeyId, args, cancellationToken).ConfigureAwait(false);
        var status = (long)result[0];
        if (status < 0)
        {
            throw status == -2 ? new ReleasedReservationException(request.ReservationId) : new DuplicateReservationException(request.ReservationId);
        }
        var requests = QuotaLedgerRules.Pick(Window(result, 5), Window(result, 11));
        var tokens = QuotaLedgerRules.Pick(Window(result, 8), Window(result, 14));
        if (status == 0)
        {
            var refusal = new QuotaRefusal((QuotaScope)(long)result[1], (QuotaKind)(long)result[2], (long)result[3],
                TimeSpan.FromMilliseconds((long)result[4]));
            return new AdmissionResult(false, refusal, requests, tokens, Alerts(result, HeaderLength, request.UserId, request.KeyId));
        }
        return new AdmissionResult(true, null, requests, tokens, Alerts(result, HeaderLength, request.UserId, request.KeyId));
    }

    public async Task<SettlementResult> SettleAsync(SettlementRequest request, CancellationToken cancellationToken = default)
    {
        QuotaLedgerRules.Validate(request);
        var periods = QuotaPeriods.At(request.Now);
        var args = Arguments(periods, request.KeyId, request.ReservationId, request.Tokens, request.CostMicrosUsd, 0,
            request.UserLimits, request.KeyLimits);
        var result = await EvaluateAsync(RedisQuotaLedgerScripts.Settle, request.UserId, request.KeyId, args, cancellationToken).ConfigureAwait(false);
        return (long)result[0] switch
        {
            0 => new SettlementResult(false, []),
            < 0 => throw QuotaLedgerRules.KeyMismatch(request.ReservationId, request.KeyId),
            _ => new SettlementResult(true, Alerts(result, 1, request.UserId, request.KeyId)),
        };
    }

    public async Task<bool> ReleaseAsync(ReleaseRequest request, CancellationToken cancellationToken = default)
    {
        QuotaLedgerRules.Validate(request);
        var periods = QuotaPeriods.At(request.Now);
        var args = Arguments(periods, request.KeyId, request.ReservationId, 0, 0, (long)request.ReservationTtl.TotalMilliseconds,
            QuotaLimits.None, null);
        var result = await EvaluateAsync(RedisQuotaLedgerScripts.Release, request.UserId, request.KeyId, args, cancellationToken).ConfigureAwait(false);
        return (long)result[0] switch
        {
            < 0 => throw QuotaLedgerRules.KeyMismatch(request.ReservationId, request.KeyId),
            0 => false,
            _ => true,
        };
    }

    public async Task<QuotaUsage> GetUsageAsync(string userId, string? keyId, DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(userId);
        var periods = QuotaPeriods.At(now);
        var args = Arguments(periods, keyId ?? string.Empty, string.Empty, 0, 0, 0, QuotaLimits.None, null);
        var r = await EvaluateAsync(RedisQuotaLedgerScripts.Usage, userId, keyId ?? string.Empty, args, cancellationToken).ConfigureAwait(false);
        return new QuotaUsage((long)r[0], (long)r[1], (long)r[2], (long)r[3], (long)r[4], (long)r[5], (long)r[6], periods.Day, periods.Month);
    }

    private async Task<RedisResult[]> EvaluateAsync(string script, string userId, string keyId, RedisValue[] args,
        CancellationToken cancellationToken)
    {
        var multiplexer = await connection.GetMultiplexerAsync(cancellationToken).ConfigureAwait(false);
        var keys = RedisQuotaKeys.Build(connection, userId, keyId);
        var database = multiplexer.GetDatabase();
        RedisFailures.ThrowIfNotConnected(database, keys[0]);
        return (RedisResult[])(await database.ScriptEvaluateAsync(script, keys, args).ConfigureAwait(false))!;
    }

    private static RedisValue[] Arguments(in QuotaPeriods periods, string keyId, string reservationId, long tokens, long cost,
        long ttlMs, QuotaLimits user, QuotaLimits? key)
    {
        // The numbers travel as one block of little-endian doubles (exact for integers below 2^53): the script reads
        // them with one struct.unpack, cheaper inside Redis than parsing a string argument each.
        Span<double> numbers =
        [
            periods.NowMs, periods.MsUntilMonthEnd + (long)QuotaLedgerRules.PeriodGrace.TotalMilliseconds, tokens, cost, ttlMs,
            periods.MsUntilDayEnd, periods.MsUntilMonthEnd,
            0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        ];
        WriteLimits(numbers[7..], user);
        WriteLimits(numbers[14..], key ?? QuotaLimits.None);
        var block = new byte[NumberCount * sizeof(double)];
        for (var i = 0; i < NumberCount; i++)
        {
            BinaryPrimitives.WriteDoubleLittleEndian(block.AsSpan(i * sizeof(double)), numbers[i]);
        }
        return [periods.Day, periods.PreviousDay, periods.Month, periods.PreviousMonth, keyId, reservationId, block];
    }

    private static void WriteLimits(Span<double> at, QuotaLimits limits)
    {
        at[0] = Limit(limits.RequestsPerMinute);
        at[1] = Limit(limits.TokensPerMinute);
        at[2] = Limit(limits.ConcurrentRequests);
        at[3] = Limit(limits.TokensPerDay);
        at[4] = Limit(limits.TokensPerMonth);
        at[5] = Limit(limits.MicrosUsdPerDay);
        at[6] = Limit(limits.MicrosUsdPerMonth);
    }

    // No limit is NaN: every comparison with it is false, so the script never refuses by it.
    private static double Limit(long? value) => value is { } v ? v : double.NaN;

    private static WindowState Window(RedisResult[] r, int at)
    {
        var limit = (long)r[at];
        return limit < 0 ? default : new WindowState(limit, (long)r[at + 1], TimeSpan.FromMilliseconds((long)r[at + 2]));
    }

    private static IReadOnlyList<BudgetAlert> Alerts(RedisResult[] r, int start, string userId, string keyId)
    {
        if (r.Length <= start)
        {
            return [];
        }
        var alerts = new BudgetAlert[(r.Length - start) / AlertLength];
        for (var i = 0; i < alerts.Length; i++)
        {
            var at = start + i * AlertLength;
            var scope = (QuotaScope)(long)r[at];
            alerts[i] = new BudgetAlert(userId, scope == QuotaScope.Key ? keyId : null, scope, (QuotaKind)(long)r[at + 1],
                (int)(long)r[at + 2], (string)r[at + 3]!, long.Parse((string)r[at + 4]!, CultureInfo.InvariantCulture), (long)r[at + 5]);
        }
        return alerts;
    }
}
