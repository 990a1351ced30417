namespace Parley.Grains.UpstreamKeys;

/// <summary>What one answer says of the upstream's current window: after the call that started at
/// <see cref="After"/>, at most <see cref="Remaining"/> more calls may arrive before <see cref="Until"/> (the answer's
/// reset, counted from when the answer was read, so never earlier than the upstream's own). Starts on one key are at
/// least the spacing apart, so a start <c>s</c> before <see cref="Until"/> is the at most
/// ⌊(s − After) / spacing⌋-th after it; when that exceeds <see cref="Remaining"/> it would arrive in a full window.
/// This reaches starts granted long before (up to the longest pacing wait) as soon as the first answers of a window
/// come back: a window the upstream opened late (its first call arrived late, or was stamped late by a busy
/// upstream) withdraws the one start too many about a window ahead, not a round trip before it.</summary>
public readonly record struct StartAllowance(DateTimeOffset After, DateTimeOffset Until, long Remaining)
{
    /// <summary>Whether <paramref name="start"/> fits in what the window allows (true when it is outside the window, or
    /// when the key has no spacing to count starts by).</summary>
    public bool Admits(DateTimeOffset start, TimeSpan spacing)
        => start <= After || start >= Until || spacing <= TimeSpan.Zero || (start - After).Ticks / spacing.Ticks <= Remaining;
}
