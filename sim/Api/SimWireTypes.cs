using System.Text.Json;

namespace Parley.Sim.Api;

/// <summary>GET /v1/models.</summary>
public sealed record ModelList(string Object, IReadOnlyList<ModelInfo> Data);

public sealed record ModelInfo(string Id, string Object, long Created, string OwnedBy);

/// <summary>GET /sim/stats. Keys appear only as hints (a prefix and suffix), never whole.</summary>
public sealed record SimStats(
    long RequestsReceived,
    long Unauthorized,
    long BadRequests,
    long RateLimited,
    long Faults,
    long Completed,
    long InFlight,
    IReadOnlyDictionary<string, long> FaultsByKind,
    IReadOnlyDictionary<string, long> RequestsByKey,
    IReadOnlyDictionary<string, long> RateLimitedByKey,
    long ContentPolicyRefusals);

/// <summary>GET /sim/requests: the recorded request bodies, oldest first.</summary>
public sealed record RecordedRequestList(string Object, IReadOnlyList<RecordedRequestView> Data);

/// <summary>One recorded request; <see cref="Body"/> is the JSON body as received, or a string when it was not JSON.</summary>
public sealed record RecordedRequestView(long Sequence, DateTimeOffset ReceivedAt, string Path, string? KeyHint, JsonElement Body, string? TraceParent = null);

/// <summary>GET and POST /sim/faults: the fault settings in force.</summary>
public sealed record FaultSettingsView(
    double ServerErrorRate,
    double RateLimitRate,
    double TimeoutRate,
    double CutMidStreamRate,
    double CutBeforeFirstByteRate,
    double TimeToFirstTokenMs,
    double RateLimitRetryAfterMs,
    int FaultSeed);
