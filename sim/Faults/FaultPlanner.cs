using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Primitives;
using Parley.Sim.Api;
using Parley.Sim.Hosting;

namespace Parley.Sim.Faults;

/// <summary>Decides each request's fault: forced by the x-sim-* headers, else drawn from the rates in force (FaultControl) with
/// a seeded generator so that the same request order gets the same faults.</summary>
internal sealed class FaultPlanner(IOptions<SimulatorOptions> options, FaultControl control)
{
    public static readonly TimeSpan DefaultForcedRetryAfter = TimeSpan.FromSeconds(1);

    private readonly SimulatorOptions _options = options.Value;

    public SimError? TryPlan(IHeaderDictionary headers, out FaultPlan plan)
    {
        plan = default;
        if (!TryReadInt(headers, SimHeaders.CutAfterChunks, 1, out var cutAfter, out var error) ||
            !TryReadInt(headers, SimHeaders.RetryAfter, 0, out var retryAfterSeconds, out error))
        {
            return error;
        }
        var cutAfterChunks = cutAfter ?? _options.CutAfterChunks;
        TimeSpan? retryAfter = retryAfterSeconds is { } seconds ? TimeSpan.FromSeconds(seconds) : null;
        if (headers.TryGetValue(SimHeaders.Fault, out var forced) && !StringValues.IsNullOrEmpty(forced))
        {
            if (!SimFaults.TryParse(forced.ToString(), out var fault))
            {
                return SimErrors.InvalidValue(SimHeaders.Fault,
                    $"Invalid value for header '{SimHeaders.Fault}'. Supported values are: {string.Join(", ", SimFaults.All.Select(SimFaults.Name))}.");
            }
            plan = new FaultPlan(fault, fault == SimFault.RateLimit429 ? retryAfter ?? DefaultForcedRetryAfter : retryAfter, cutAfterChunks, Forced: true);
            return null;
        }
        var rates = control.Current;
        var drawn = rates.HasRandomFaults ? Draw(rates) : SimFault.None;
        plan = new FaultPlan(drawn, drawn == SimFault.RateLimit429 ? retryAfter ?? rates.RateLimitRetryAfter : retryAfter, cutAfterChunks, Forced: false);
        return null;
    }

    // The dice roll once per request while any rate is set, whichever it is, so one seed always gives the same rolls.
    private SimFault Draw(FaultRates o)
    {
        var (roll, variant) = control.Roll();
        if ((roll -= o.ServerErrorRate) < 0)
        {
            return variant switch { 0 => SimFault.ServerError500, 1 => SimFault.BadGateway502, _ => SimFault.Overloaded503 };
        }
        if ((roll -= o.RateLimitRate) < 0)
        {
            return SimFault.RateLimit429;
        }
        if ((roll -= o.TimeoutRate) < 0)
        {
            return SimFault.Timeout;
        }
        if ((roll -= o.CutMidStreamRate) < 0)
        {
            return SimFault.CutMidStream;
        }
        return roll - o.CutBeforeFirstByteRate < 0 ? SimFault.CutBeforeFirstByte : SimFault.None;
    }

    internal static bool TryReadInt(IHeaderDictionary headers, string name, int minimum, out int? value, out SimError? error)
    {
        value = null;
        error = null;
        if (!headers.TryGetValue(name, out var raw) || StringValues.IsNullOrEmpty(raw))
        {
            return true;
        }
        if (int.TryParse(raw.ToString(), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var parsed) && parsed >= minimum)
        {
            value = parsed;
            return true;
        }
        error = SimErrors.InvalidValue(name, $"Invalid value for header '{name}': expected an integer >= {minimum}.");
        return false;
    }
}
