namespace Parley.Sim.Observability;

/// <summary>A chat completion request body as the simulator received it.</summary>
/// <param name="Sequence">1 for the first request recorded since start (or the last reset).</param>
/// <param name="KeyHint">The caller's key shortened to a hint, or null when no key was sent.</param>
/// <param name="Body">The raw body text (UTF-8 decoded).</param>
/// <param name="IsJson">Whether the body parsed as JSON.</param>
/// <param name="TraceParent">The W3C <c>traceparent</c> header the caller sent, if any (tests check trace propagation).</param>
public sealed record RecordedRequest(long Sequence, DateTimeOffset ReceivedAt, string Path, string? KeyHint, string Body, bool IsJson, string? TraceParent = null);
