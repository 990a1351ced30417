using Parley.GrainInterfaces.UpstreamKeys;

namespace Parley.Grains.UpstreamKeys;

/// <summary>How both stores turn stored fields into a health, so they report alike.</summary>
internal static class UpstreamKeyHealthRules
{
    public static UpstreamKeyHealth Describe(DateTimeOffset now, string? disabledReason, DateTimeOffset blockedUntil, string? blockReason,
        DateTimeOffset? coolingUntil, DateTimeOffset trialUntil, string? coolReason)
    {
        if (disabledReason is not null)
        {
            return new UpstreamKeyHealth(UpstreamKeyState.Disabled, null, disabledReason);
        }
        if (blockedUntil > now)
        {
            return new UpstreamKeyHealth(UpstreamKeyState.Blocked, blockedUntil, blockReason);
        }
        if (coolingUntil is { } cooling)
        {
            var until = cooling > now ? cooling : trialUntil > now ? trialUntil : cooling;
            return new UpstreamKeyHealth(UpstreamKeyState.Cooling, until, coolReason);
        }
        return UpstreamKeyHealth.Active;
    }
}
