namespace Parley.Grains.UpstreamKeys;

/// <summary>What the pacing store holds of one key's schedule, for operators (the console): read as it stands, nothing
/// reserved.</summary>
/// <param name="NextRequestAt">The earliest start the request spacing allows (null: never paced yet).</param>
/// <param name="NextTokensAt">The earliest start the token budget allows (null: no token limit, or never paced).</param>
/// <param name="HeldUntil">No start before this: learnt from the upstream's rate-limit headers (null: nothing learnt).</param>
/// <param name="Window">The newest answer's window as the upstream reported it (calls remaining until its reset).</param>
/// <param name="InFlight">Concurrency slots held right now across the cluster (counted only for keys with a
/// concurrency limit, the only ones that take slots).</param>
public sealed record UpstreamKeySchedule(
    DateTimeOffset? NextRequestAt,
    DateTimeOffset? NextTokensAt,
    DateTimeOffset? HeldUntil,
    StartAllowance? Window,
    int InFlight)
{
    public static UpstreamKeySchedule Empty { get; } = new(null, null, null, null, 0);

    /// <summary>When the next call may start by the schedule alone (health aside): the latest of the three times, or
    /// <paramref name="now"/> when they are all past.</summary>
    public DateTimeOffset NextAllowedAt(DateTimeOffset now)
    {
        var next = now;
        foreach (var time in (ReadOnlySpan<DateTimeOffset?>)[NextRequestAt, NextTokensAt, HeldUntil])
        {
            if (time is { } t && t > next)
            {
                next = t;
            }
        }
        return next;
    }
}
