using System.Text.Json.Serialization;

namespace Parley.Sim.Api;

// Completions and chunks are written by hand with Utf8JsonWriter (see Chat/CompletionJson.cs): they are the hot path.
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, DefaultIgnoreCondition = JsonIgnoreCondition.Never)]
[JsonSerializable(typeof(SimErrorBody))]
[JsonSerializable(typeof(AzureErrorBody))]
[JsonSerializable(typeof(ModelList))]
[JsonSerializable(typeof(ModelInfo))]
[JsonSerializable(typeof(SimStats))]
[JsonSerializable(typeof(RecordedRequestList))]
[JsonSerializable(typeof(FaultSettingsView))]
[JsonSerializable(typeof(string))]
internal sealed partial class SimJsonContext : JsonSerializerContext;
