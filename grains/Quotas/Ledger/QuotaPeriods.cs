using System.Globalization;

namespace Parley.Grains.Quotas.Ledger;

/// <summary>The UTC calendar periods of one instant, in whole milliseconds (the unit both ledgers count time in, so
/// that they agree to the millisecond). A reservation lives at most <see cref="QuotaLedgerRules.MaxReservationTtl"/>,
/// so the previous day and month are the furthest back a settlement or a release has to reach.</summary>
internal readonly record struct QuotaPeriods(
    long NowMs,
    string Day,
    string PreviousDay,
    string Month,
    string PreviousMonth,
    long MsUntilDayEnd,
    long MsUntilMonthEnd)
{
    public static QuotaPeriods At(DateTimeOffset now)
    {
        var nowMs = now.ToUnixTimeMilliseconds();
        var utc = DateTimeOffset.FromUnixTimeMilliseconds(nowMs).UtcDateTime;
        var day = utc.Date;
        var month = new DateTime(utc.Year, utc.Month, 1, 0, 0, 0, DateTimeKind.Utc);
        return new QuotaPeriods(
            nowMs,
            DayName(day),
            DayName(day.AddDays(-1)),
            MonthName(month),
            MonthName(month.AddMonths(-1)),
            ToMs(day.AddDays(1)) - nowMs,
            ToMs(month.AddMonths(1)) - nowMs);
    }

    public static string DayName(DateTime day) => day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    public static string MonthName(DateTime month) => month.ToString("yyyy-MM", CultureInfo.InvariantCulture);

    private static long ToMs(DateTime utc) => new DateTimeOffset(utc, TimeSpan.Zero).ToUnixTimeMilliseconds();
}
