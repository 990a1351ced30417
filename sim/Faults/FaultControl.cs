using Microsoft.Extensions.Options;
using Parley.Sim.Hosting;

namespace Parley.Sim.Faults;

/// <summary>The fault settings in force and the seeded dice they are drawn with. Tests change them at run time
/// (<c>POST /sim/faults</c>, or <see cref="Set"/> in process); <see cref="Reset"/> (<c>POST /sim/reset</c>) goes
/// back to the configured values and reseeds the dice, so a reset simulator draws what a fresh one would.</summary>
public sealed class FaultControl
{
    private readonly FaultRates _configured;
    private readonly int _configuredSeed;
    private readonly Lock _lock = new();
    private FaultRates _current;
    private Random _dice;
    private int _seed;

    public FaultControl(IOptions<SimulatorOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _configured = FaultRates.From(options.Value);
        _configuredSeed = options.Value.FaultSeed;
        _current = _configured;
        _seed = _configuredSeed;
        _dice = new Random(_seed);
    }

    /// <summary>The settings in force (an immutable snapshot).</summary>
    public FaultRates Current => Volatile.Read(ref _current);

    /// <summary>The seed the dice were last seeded with.</summary>
    public int Seed
    {
        get
        {
            lock (_lock)
            {
                return _seed;
            }
        }
    }

    /// <summary>Puts <paramref name="rates"/> in force for the requests that follow; with <paramref name="seed"/>,
    /// also reseeds the dice (without, they go on where they were, so one order of requests and changes always draws
    /// the same faults).</summary>
    /// <exception cref="ArgumentException">The settings are out of range.</exception>
    public void Set(FaultRates rates, int? seed = null)
    {
        ArgumentNullException.ThrowIfNull(rates);
        if (rates.Problem() is { } problem)
        {
            throw new ArgumentException(problem, nameof(rates));
        }
        lock (_lock)
        {
            Volatile.Write(ref _current, rates);
            if (seed is { } value)
            {
                _seed = value;
                _dice = new Random(value);
            }
        }
    }

    /// <summary>Back to the configured settings and seed.</summary>
    public void Reset() => Set(_configured, _configuredSeed);

    /// <summary>One draw: a number in [0, 1) that picks the fault, and one of three that picks its variant.</summary>
    internal (double Roll, int Variant) Roll()
    {
        // Random is not thread-safe, and one draw order per request sequence keeps runs reproducible.
        lock (_lock)
        {
            return (_dice.NextDouble(), _dice.Next(3));
        }
    }
}
