using Parley.Sim.RateLimits;

namespace Parley.Sim.Tests.RateLimits;

public sealed class OpenAIDurationTests
{
    [Theory]
    [InlineData(0, "0s")]
    [InlineData(-5, "0s")]
    [InlineData(20, "20ms")]
    [InlineData(0.4, "1ms")]
    [InlineData(999.5, "1s")]
    [InlineData(1000, "1s")]
    [InlineData(1500, "1.5s")]
    [InlineData(59_999, "59.999s")]
    [InlineData(60_000, "1m0s")]
    [InlineData(360_000, "6m0s")]
    [InlineData(90_500, "1m30.5s")]
    [InlineData(3_600_000, "1h0m0s")]
    [InlineData(3_723_000, "1h2m3s")]
    [InlineData(90_000_000, "25h0m0s")]
    public void Formats_like_go_durations(double milliseconds, string expected)
        => Assert.Equal(expected, OpenAIDuration.Format(TimeSpan.FromTicks((long)(milliseconds * TimeSpan.TicksPerMillisecond))));

    [Theory]
    [InlineData(1, 1)]
    [InlineData(1000, 1)]
    [InlineData(1001, 2)]
    [InlineData(39_500, 40)]
    [InlineData(0, 1)]
    public void Retry_after_rounds_up_to_whole_seconds(int milliseconds, int expected)
        => Assert.Equal(expected, OpenAIDuration.RetryAfterSeconds(TimeSpan.FromMilliseconds(milliseconds)));
}
