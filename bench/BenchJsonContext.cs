using System.Text.Json.Serialization;

namespace Parley.Bench;

[JsonSerializable(typeof(Dictionary<string, string>))]
internal sealed partial class BenchJsonContext : JsonSerializerContext;
