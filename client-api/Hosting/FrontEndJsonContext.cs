using System.Text.Json.Serialization;
using Parley.ClientApi.Forwarding;

namespace Parley.ClientApi.Hosting;

/// <summary>The bodies the front end writes itself, serialised without reflection.</summary>
[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.Never)]
[JsonSerializable(typeof(FrontEndErrorBody))]
[JsonSerializable(typeof(ReadyBody))]
internal sealed partial class FrontEndJsonContext : JsonSerializerContext;

/// <summary>The readiness answer: the silos known, those probed healthy, those new requests may go to.</summary>
public sealed record ReadyBody(
    [property: JsonPropertyName("status")] string Status,
    [property: JsonPropertyName("silos")] int Silos,
    [property: JsonPropertyName("healthy")] int Healthy,
    [property: JsonPropertyName("inRotation")] int InRotation);
