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

    /// <summary>The answer's window, when it allows fewer calls before its reset than the spacing would start after the
    /// call (the upstream's window opened later than the schedule assumed); null when the spacing keeps within it, so a
    /// key on schedule costs no write.</summary>
    public static StartAllowance? Allowance(UpstreamCallOutcome outcome, TimeSpan requestSpacing)
    {
        if (outcome is not { StartedAt: { } started, RemainingRequests: { } remaining and >= 0, ResetRequests: { } reset, IsRateLimited: false }
            || requestSpacing <= TimeSpan.Zero)
        {
            return null;
        }
        var allowance = new StartAllowance(started, outcome.At + reset, remaining);
        // The earliest start that could be one too many.
        var excess = started + (requestSpacing * (remaining + 1));
        return allowance.Admits(excess, requestSpacing) ? null : allowance;
    }

    /// <summary>Whether the grain has anything to decide about this outcome.</summary>
    public static bool IsWorthReporting(UpstreamCallOutcome outcome, TimeSpan requestSpacing)
        => outcome.WasTrial || outcome.IsAuthFailure || outcome.IsRateLimited || outcome.IsError || NotBefore(outcome, requestSpacing) is not null
            || Allowance(outcome, requestSpacing) is not null;
}
