using Parley.GrainInterfaces.UpstreamKeys;
using Parley.Grains.UpstreamKeys;

namespace Parley.Grains.Tests.UpstreamKeys;

/// <summary>What an answer's rate-limit headers teach about the upstream's window (20 per 2 s, starts 105 ms apart).</summary>
public sealed class UpstreamKeyLearningTests
{
    private static readonly DateTimeOffset T0 = new(2025, 3, 10, 12, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan Spacing = TimeSpan.FromMilliseconds(105);

    private static UpstreamCallOutcome Answer(TimeSpan startedAfter, TimeSpan readAfter, long remaining, TimeSpan reset, bool paced = true)
        => new(T0 + readAfter, 200, false, RemainingRequests: remaining, ResetRequests: reset, StartedAt: paced ? T0 + startedAfter : null);

    [Fact]
    public void An_answer_on_schedule_teaches_nothing_and_costs_no_write()
    {
        // The second call of a window opened by the first start: 18 left, reset 1,895 ms after its arrival.
        var outcome = Answer(Ms(105), Ms(110), 18, Ms(1890));

        Assert.Null(UpstreamKeyLearning.Allowance(outcome, Spacing));
        Assert.False(UpstreamKeyLearning.IsWorthReporting(outcome, Spacing));
    }

    [Fact]
    public void An_answer_from_a_window_opened_late_limits_the_starts_before_its_reset()
    {
        // The window opened 150 ms after the first start: 18 left until 2,160 ms, where the 20th start (2,100 ms) falls.
        var outcome = Answer(Ms(105), Ms(110), 18, Ms(2050));

        Assert.Equal(new StartAllowance(T0 + Ms(105), T0 + Ms(2160), 18), UpstreamKeyLearning.Allowance(outcome, Spacing));
        Assert.True(UpstreamKeyLearning.IsWorthReporting(outcome, Spacing));
    }

    [Fact]
    public void Unpaced_calls_429s_and_keys_without_a_spacing_teach_no_window()
    {
        Assert.Null(UpstreamKeyLearning.Allowance(Answer(Ms(105), Ms(110), 18, Ms(2050), paced: false), Spacing));
        Assert.Null(UpstreamKeyLearning.Allowance(Answer(Ms(105), Ms(110), 18, Ms(2050)) with { StatusCode = 429 }, Spacing));
        Assert.Null(UpstreamKeyLearning.Allowance(Answer(Ms(105), Ms(110), 18, Ms(2050)), TimeSpan.Zero));
    }

    private static TimeSpan Ms(int milliseconds) => TimeSpan.FromMilliseconds(milliseconds);
}
