using Parley.GrainInterfaces.Quotas;

namespace Parley.Grains.Quotas.Ledger;

/// <summary>What both ledgers share: the window length, alert thresholds, argument checks and the choice of the
/// window reported in the <c>x-ratelimit-*</c> headers. Amounts are integers; the Redis scripts hold them in Lua
/// numbers (doubles), which are exact below 2^53 (9e15 tokens, or 9 billion USD in micro-USD), far above any budget.</summary>
internal static class QuotaLedgerRules
{
    /// <summary>Per-minute limits look at the admissions of the last 60 s: an entry admitted at t counts while
    /// now - 60 s &lt; t, i.e. it leaves the window at exactly t + 60 s.</summary>
    public const long WindowMs = 60_000;

    /// <summary>Alert thresholds, in percent of a day or month budget.</summary>
    public static readonly int[] AlertThresholds = [50, 80, 100];

    /// <summary>A reservation must end within a day, so it is settled or released in its own period or the next.</summary>
    public static readonly TimeSpan MaxReservationTtl = TimeSpan.FromDays(1);

    /// <summary>Period counters (and their alert markers) outlive their period by this, so late settlements and
    /// releases of reservations made in it still find them; then they vanish on their own.</summary>
    public static readonly TimeSpan PeriodGrace = TimeSpan.FromDays(2);

    public static void Validate(AdmissionRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        ValidateCall(request.UserId, request.KeyId, request.ReservationId, request.UserLimits, request.Tokens, request.CostMicrosUsd);
        if (request.ReservationTtl < TimeSpan.FromMilliseconds(1) || request.ReservationTtl > MaxReservationTtl)
        {
            throw new ArgumentOutOfRangeException(nameof(request), request.ReservationTtl, "ReservationTtl must be between 1 ms and 1 day.");
        }
    }

    public static void Validate(ReleaseRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentException.ThrowIfNullOrEmpty(request.UserId);
        ArgumentNullException.ThrowIfNull(request.KeyId);
        ArgumentException.ThrowIfNullOrEmpty(request.ReservationId);
        if (request.ReservationTtl < TimeSpan.FromMilliseconds(1) || request.ReservationTtl > MaxReservationTtl)
        {
            throw new ArgumentOutOfRangeException(nameof(request), request.ReservationTtl, "ReservationTtl must be between 1 ms and 1 day.");
        }
    }

    public static void Validate(SettlementRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        ValidateCall(request.UserId, request.KeyId, request.ReservationId, request.UserLimits, request.Tokens, request.CostMicrosUsd);
    }

    private static void ValidateCall(string userId, string keyId, string reservationId, QuotaLimits userLimits, long tokens, long costMicrosUsd)
    {
        ArgumentException.ThrowIfNullOrEmpty(userId);
        ArgumentNullException.ThrowIfNull(keyId);
        ArgumentException.ThrowIfNullOrEmpty(reservationId);
        ArgumentNullException.ThrowIfNull(userLimits);
        ArgumentOutOfRangeException.ThrowIfNegative(tokens);
        ArgumentOutOfRangeException.ThrowIfNegative(costMicrosUsd);
    }

    /// <summary>The user's window, or the key's when the key has that limit and less room left.</summary>
    public static WindowState Pick(WindowState user, WindowState key)
        => key.Limit is not null && (user.Limit is null || key.Remaining < user.Remaining) ? key : user;

    /// <summary>Whether going from <paramref name="before"/> to <paramref name="after"/> crosses
    /// <paramref name="percent"/> of <paramref name="limit"/> upwards (compared as integers: used * 100 vs limit * percent).</summary>
    public static bool Crosses(long before, long after, long limit, int percent)
        => before * 100 < limit * percent && after * 100 >= limit * percent;

    public static InvalidOperationException KeyMismatch(string reservationId, string keyId)
        => new($"Reservation '{reservationId}' was not admitted for key '{keyId}'; settle it with the key it was admitted for.");
}

/// <summary>An admission reused a reservation id that is still in flight (ids must be unique per request).</summary>
public sealed class DuplicateReservationException(string reservationId)
    : InvalidOperationException($"Reservation '{reservationId}' is already in flight; every admission needs a new reservation id.");

/// <summary>An admission ran after its id had been released (its caller had stopped waiting for it and refused the
/// request): it refused itself and counted nothing.</summary>
public sealed class ReleasedReservationException(string reservationId)
    : InvalidOperationException($"Reservation '{reservationId}' was released before its admission ran; it was not admitted.");
