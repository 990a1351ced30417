using System.Globalization;
using System.Net.Http.Headers;
using Parley.GrainInterfaces.UpstreamKeys;
using Parley.Silo.Api;

namespace Parley.Silo.Providers;

/// <summary>Reads what an upstream's response headers say about its key: OpenAI's x-ratelimit-* headers, Retry-After
/// (seconds or a date) and Azure's retry-after-ms.</summary>
internal static class UpstreamAnswers
{
    public static UpstreamCallOutcome Outcome(HttpResponseMessage response, DateTimeOffset at, bool wasTrial)
    {
        var headers = response.Headers;
        return new UpstreamCallOutcome(at, (int)response.StatusCode, wasTrial,
            RetryAfter(headers, at),
            Long(headers, RateLimitHeaders.RemainingRequests), Duration(headers, RateLimitHeaders.ResetRequests),
            Long(headers, RateLimitHeaders.RemainingTokens), Duration(headers, RateLimitHeaders.ResetTokens));
    }

    public static TimeSpan? RetryAfter(HttpResponseHeaders headers, DateTimeOffset now)
    {
        if (Long(headers, RateLimitHeaders.RetryAfterMs) is { } ms && ms >= 0)
        {
            return TimeSpan.FromMilliseconds(ms);
        }
        return headers.RetryAfter switch
        {
            { Delta: { } delta } => delta,
            { Date: { } date } => date > now ? date - now : TimeSpan.Zero,
            _ => null,
        };
    }

    /// <summary>A header's first value as an integer, if it is one.</summary>
    public static long? Long(HttpResponseHeaders headers, string name)
        => headers.TryGetValues(name, out var values) && long.TryParse(values.FirstOrDefault(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var value)
            ? value : null;

    private static TimeSpan? Duration(HttpResponseHeaders headers, string name)
        => headers.TryGetValues(name, out var values) && values.FirstOrDefault() is { } text && TryParseDuration(text, out var value) ? value : null;

    /// <summary>Parses Go's duration format as OpenAI sends it: "20ms", "1s", "1.5s", "6m0s", "1h2m3.5s"; a bare
    /// number is seconds.</summary>
    public static bool TryParseDuration(ReadOnlySpan<char> text, out TimeSpan value)
    {
        value = TimeSpan.Zero;
        text = text.Trim();
        if (text.IsEmpty)
        {
            return false;
        }
        if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var bare))
        {
            value = TimeSpan.FromSeconds(bare);
            return bare >= 0;
        }
        double totalMs = 0;
        while (!text.IsEmpty)
        {
            var numberEnd = 0;
            while (numberEnd < text.Length && (char.IsAsciiDigit(text[numberEnd]) || text[numberEnd] == '.'))
            {
                numberEnd++;
            }
            var unitEnd = numberEnd;
            while (unitEnd < text.Length && !char.IsAsciiDigit(text[unitEnd]) && text[unitEnd] != '.')
            {
                unitEnd++;
            }
            if (numberEnd == 0 || unitEnd == numberEnd
                || !double.TryParse(text[..numberEnd], NumberStyles.Float, CultureInfo.InvariantCulture, out var number))
            {
                return false;
            }
            double? unitMs = text[numberEnd..unitEnd] switch
            {
                "h" => 3_600_000,
                "m" => 60_000,
                "s" => 1000,
                "ms" => 1,
                "us" or "µs" => 0.001,
                "ns" => 0.000001,
                _ => null,
            };
            if (unitMs is null)
            {
                return false;
            }
            totalMs += number * unitMs.Value;
            text = text[unitEnd..];
        }
        value = TimeSpan.FromMilliseconds(totalMs);
        return true;
    }
}
