namespace Parley.Sim.Faults;

/// <summary>Request headers that let a test force the simulator's behaviour for one request.</summary>
public static class SimHeaders
{
    /// <summary>Forces a fault: 500, 502, 503, 429, timeout, cut-mid-stream or cut-before-first-byte.</summary>
    public const string Fault = "x-sim-fault";

    /// <summary>Seconds sent in Retry-After with a forced 429 (default 1) or a forced 5xx (none by default).</summary>
    public const string RetryAfter = "x-sim-retry-after";

    /// <summary>SSE events written before a forced or random cut-mid-stream (overrides Simulator:CutAfterChunks).</summary>
    public const string CutAfterChunks = "x-sim-cut-after-chunks";

    /// <summary>Completion length in tokens for this request (overrides Simulator:ResponseTokens).</summary>
    public const string ResponseTokens = "x-sim-response-tokens";
}
