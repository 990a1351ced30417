using Parley.GrainInterfaces.UpstreamKeys;

namespace Parley.Grains.UpstreamKeys;

/// <summary>What an upstream's rate-limit headers teach about a key's schedule. Shared by the grain (which writes it)
/// and the caller (which skips the grain when there is nothing to learn).</summary>
public static class UpstreamKeyLearning
{
    /// <summary>With R calls remaining until the reset, the next call must not come sooner than reset / (R + 1); with
    /// no tokens remaining, not before the token reset. Null when that is no later than the configured spacing already
    /// keeps it, so a key with headroom costs no write. Without a configured spacing only "nothing remaining" counts:
    /// the headers' numbers are the upstream's, and guessing a spacing from them would slow an unlimited key.</summary>
    public static DateTimeOffset? NotBefore(UpstreamCallOutcome outcome, TimeSpan requestSpacing)
    {
        DateTimeOffset? notBefore = null;
        if (outcome is { RemainingRequests: { } remaining, ResetRequests: { } reset } && remaining >= 0)
        {
            var gap = reset / (remaining + 1);
            if (gap > requestSpacing && (requestSpacing > TimeSpan.Zero || remaining == 0))
            {
                notBefore = outcome.At + gap;
            }
        }
        if (outcome is { RemainingTokens: 0, ResetTokens: { } tokenReset } && tokenReset > TimeSpan.Zero)
        {
            var until = outcome.At + tokenReset;
            notBefore = notBefore is { } n && n > until ? n : until;
        }
        return notBefore;
    }

    /// <summary>Whether the grain has anything to decide about this outcome.</summary>
    public static bool IsWorthReporting(UpstreamCallOutcome outcome, TimeSpan requestSpacing)
        => outcome.WasTrial || outcome.IsAuthFailure || outcome.IsRateLimited || outcome.IsError || NotBefore(outcome, requestSpacing) is not null;
}
