using Parley.Silo.Providers;
using Xunit;

namespace Parley.Silo.Tests.Providers;

public sealed class UpstreamAnswersTests
{
    [Theory]
    [InlineData("20ms", 20)]
    [InlineData("1s", 1000)]
    [InlineData("1.5s", 1500)]
    [InlineData("6m0s", 360_000)]
    [InlineData("1h2m3.5s", 3_723_500)]
    [InlineData("2", 2000)]
    public void Reset_durations_parse_as_OpenAI_sends_them(string text, double milliseconds)
    {
        Assert.True(UpstreamAnswers.TryParseDuration(text, out var value));
        Assert.Equal(TimeSpan.FromMilliseconds(milliseconds), value);
    }

    [Theory]
    [InlineData("")]
    [InlineData("s")]
    [InlineData("5 parsecs")]
    [InlineData("-1")]
    public void Nonsense_is_not_a_duration(string text) => Assert.False(UpstreamAnswers.TryParseDuration(text, out _));
}
