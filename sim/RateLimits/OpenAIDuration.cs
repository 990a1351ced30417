using System.Globalization;

namespace Parley.Sim.RateLimits;

/// <summary>Formats a duration the way OpenAI's x-ratelimit-reset-* headers do (Go's time.Duration format):
/// "20ms", "1s", "1.5s", "6m0s", "1h2m3s".</summary>
public static class OpenAIDuration
{
    public static string Format(TimeSpan duration)
    {
        if (duration <= TimeSpan.Zero)
        {
            return "0s";
        }
        if (duration < TimeSpan.FromSeconds(1))
        {
            // Sub-second values are whole milliseconds, rounded up so that "0ms" never means "wait".
            var ms = Math.Max(1, (long)Math.Ceiling(duration.TotalMilliseconds));
            return ms >= 1000 ? "1s" : ms.ToString(CultureInfo.InvariantCulture) + "ms";
        }
        var hours = (long)duration.TotalHours;
        var minutes = duration.Minutes;
        var seconds = Math.Round(duration.TotalSeconds - (hours * 3600) - (minutes * 60), 3, MidpointRounding.AwayFromZero);
        var secondsText = seconds.ToString("0.###", CultureInfo.InvariantCulture) + "s";
        if (hours > 0)
        {
            return string.Create(CultureInfo.InvariantCulture, $"{hours}h{minutes}m{secondsText}");
        }
        return minutes > 0 ? string.Create(CultureInfo.InvariantCulture, $"{minutes}m{secondsText}") : secondsText;
    }

    /// <summary>Whole seconds for Retry-After: rounded up, at least 1.</summary>
    public static int RetryAfterSeconds(TimeSpan duration) => Math.Max(1, (int)Math.Ceiling(duration.TotalSeconds));
}
