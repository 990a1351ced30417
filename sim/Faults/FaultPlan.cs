namespace Parley.Sim.Faults;

/// <summary>What to do wrong with one request: the fault, and the knobs a header (or the settings) set for it.</summary>
/// <param name="RetryAfter">What a 429 (always set) or a 5xx (only when a header asked) tells the client to wait.</param>
internal readonly record struct FaultPlan(SimFault Fault, TimeSpan? RetryAfter, int CutAfterChunks, bool Forced);
