using System.Text.Json.Serialization;

namespace Parley.Silo.Api;

[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.Never)]
[JsonSerializable(typeof(OpenAIErrorBody))]
internal sealed partial class ApiJsonContext : JsonSerializerContext;
