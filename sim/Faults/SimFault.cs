namespace Parley.Sim.Faults;

/// <summary>A failure the simulator can inject instead of (or in the middle of) a normal answer.</summary>
public enum SimFault
{
    None = 0,
    /// <summary>500 with an OpenAI server_error body.</summary>
    ServerError500,
    /// <summary>502 with an OpenAI server_error body.</summary>
    BadGateway502,
    /// <summary>503 with an OpenAI server_error body.</summary>
    Overloaded503,
    /// <summary>429 rate_limit_exceeded, forced by header or drawn at Simulator:RateLimitRate (the per-key limits
    /// answer 429s of their own, which are not faults).</summary>
    RateLimit429,
    /// <summary>No answer until the client gives up (the request is aborted) or the simulator stops.</summary>
    Timeout,
    /// <summary>The connection is cut after a few SSE events (or halfway through a non-streaming body).</summary>
    CutMidStream,
    /// <summary>The connection is cut before the status line.</summary>
    CutBeforeFirstByte,
}

/// <summary>Names of the faults, as used in the x-sim-fault header and in /sim/stats.</summary>
public static class SimFaults
{
    internal const int KindCount = (int)SimFault.CutBeforeFirstByte + 1;

    /// <summary>Every real fault (not <see cref="SimFault.None"/>).</summary>
    public static IReadOnlyList<SimFault> All { get; } =
    [
        SimFault.ServerError500, SimFault.BadGateway502, SimFault.Overloaded503, SimFault.RateLimit429,
        SimFault.Timeout, SimFault.CutMidStream, SimFault.CutBeforeFirstByte,
    ];

    public static string Name(SimFault fault) => fault switch
    {
        SimFault.ServerError500 => "500",
        SimFault.BadGateway502 => "502",
        SimFault.Overloaded503 => "503",
        SimFault.RateLimit429 => "429",
        SimFault.Timeout => "timeout",
        SimFault.CutMidStream => "cut-mid-stream",
        SimFault.CutBeforeFirstByte => "cut-before-first-byte",
        _ => "none",
    };

    public static bool TryParse(ReadOnlySpan<char> name, out SimFault fault)
    {
        name = name.Trim();
        foreach (var candidate in All)
        {
            if (name.Equals(Name(candidate), StringComparison.OrdinalIgnoreCase))
            {
                fault = candidate;
                return true;
            }
        }
        fault = SimFault.None;
        return false;
    }
}
