using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Primitives;
using Parley.Sim.Api;
using Parley.Sim.Hosting;

namespace Parley.Sim.Faults;

/// <summary>Decides each request's fault: forced by the x-sim-* headers, else drawn from the configured rates with
/// a seeded generator so that the same request order gets the same faults.</summary>
internal sealed class FaultPlanner
{
    public const int DefaultForcedRetryAfterSeconds = 1;

    private readonly SimulatorOptions _options;
    private readonly Random _dice;
    private readonly Lock _diceLock = new();

    public FaultPlanner(IOptions<SimulatorOptions> options)
    {
        _options = options.Value;
        _dice = new Random(_options.FaultSeed);
    }

    public SimError? TryPlan(IHeaderDictionary headers, out FaultPlan plan)
    {
        plan = default;
        if (!TryReadInt(headers, SimHeaders.CutAfterChunks, 1, out var cutAfter, out var error) ||
            !TryReadInt(headers, SimHeaders.RetryAfter, 0, out var retryAfter, out error))
        {
            return error;
        }
        var cutAfterChunks = cutAfter ?? _options.CutAfterChunks;
        if (headers.TryGetValue(SimHeaders.Fault, out var forced) && !StringValues.IsNullOrEmpty(forced))
        {
            if (!SimFaults.TryParse(forced.ToString(), out var fault))
            {
                return SimErrors.InvalidValue(SimHeaders.Fault,
                    $"Invalid value for header '{SimHeaders.Fault}'. Supported values are: {string.Join(", ", SimFaults.All.Select(SimFaults.Name))}.");
            }
            plan = new FaultPlan(fault, fault == SimFault.RateLimit429 ? retryAfter ?? DefaultForcedRetryAfterSeconds : retryAfter, cutAfterChunks, Forced: true);
            return null;
        }
        plan = new FaultPlan(_options.HasRandomFaults ? Draw() : SimFault.None, retryAfter, cutAfterChunks, Forced: false);
        return null;
    }

    private SimFault Draw()
    {
        double roll;
        int which;
        // Random is not thread-safe, and one draw order per request sequence keeps runs reproducible.
        lock (_diceLock)
        {
            roll = _dice.NextDouble();
            which = _dice.Next(3);
        }
        var o = _options;
        if ((roll -= o.ServerErrorRate) < 0)
        {
            return which switch { 0 => SimFault.ServerError500, 1 => SimFault.BadGateway502, _ => SimFault.Overloaded503 };
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
