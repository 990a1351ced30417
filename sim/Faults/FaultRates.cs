using Parley.Sim.Hosting;

namespace Parley.Sim.Faults;

/// <summary>The fault settings in force: what <c>GET /sim/faults</c> shows and <c>POST /sim/faults</c> changes. They
/// start as the configured <see cref="SimulatorOptions"/> values. Every rate is a probability in [0, 1]; together
/// they add up to at most 1.</summary>
public sealed record FaultRates(
    double ServerErrorRate,
    double RateLimitRate,
    double TimeoutRate,
    double CutMidStreamRate,
    double CutBeforeFirstByteRate,
    TimeSpan TimeToFirstToken,
    TimeSpan RateLimitRetryAfter)
{
    public bool HasRandomFaults => ServerErrorRate > 0 || RateLimitRate > 0 || TimeoutRate > 0 || CutMidStreamRate > 0 || CutBeforeFirstByteRate > 0;

    public static FaultRates From(SimulatorOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return new(options.ServerErrorRate, options.RateLimitRate, options.TimeoutRate, options.CutMidStreamRate,
            options.CutBeforeFirstByteRate, options.TimeToFirstToken, options.RateLimitRetryAfter);
    }

    /// <summary>Why these settings cannot be used, or null when they can.</summary>
    public string? Problem()
    {
        foreach (var rate in (ReadOnlySpan<double>)[ServerErrorRate, RateLimitRate, TimeoutRate, CutMidStreamRate, CutBeforeFirstByteRate])
        {
            if (!double.IsFinite(rate) || rate < 0 || rate > 1)
            {
                return "Every fault rate must be between 0 and 1.";
            }
        }
        if (ServerErrorRate + RateLimitRate + TimeoutRate + CutMidStreamRate + CutBeforeFirstByteRate > 1)
        {
            return "Fault rates must add up to at most 1.";
        }
        if (TimeToFirstToken < TimeSpan.Zero)
        {
            return "The time to first token must not be negative.";
        }
        return RateLimitRetryAfter <= TimeSpan.Zero ? "The rate-limit retry-after must be positive." : null;
    }
}
