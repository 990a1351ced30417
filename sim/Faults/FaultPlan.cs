namespace Parley.Sim.Faults;

/// <summary>What to do wrong with one request: the fault, and the knobs a header may have set for it.</summary>
internal readonly record struct FaultPlan(SimFault Fault, int? RetryAfterSeconds, int CutAfterChunks, bool Forced);
