using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Microsoft.Extensions.Options;

namespace Parley.Runtime.Storage;

/// <summary>The resolvers given to <c>AddGrainStateJson</c>, in registration order.</summary>
public sealed class GrainStateJsonOptions
{
    public IList<IJsonTypeInfoResolver> Resolvers { get; } = [];
}

/// <summary>(De)serialises grain state with System.Text.Json over source-generated contexts only: a state type that no
/// registered context knows fails loudly instead of falling back to reflection.</summary>
public sealed class GrainStateSerializer
{
    private readonly JsonSerializerOptions _options;

    public GrainStateSerializer(IOptions<GrainStateJsonOptions> options)
    {
        _options = new JsonSerializerOptions
        {
            TypeInfoResolver = JsonTypeInfoResolver.Combine([.. options.Value.Resolvers]),
        };
        _options.MakeReadOnly();
    }

    public byte[] Serialize<T>(T value) => JsonSerializer.SerializeToUtf8Bytes(value, GetTypeInfo<T>());

    public T Deserialize<T>(ReadOnlySpan<byte> utf8Json)
        => JsonSerializer.Deserialize(utf8Json, GetTypeInfo<T>())
           ?? throw new JsonException($"Stored state of type {typeof(T).FullName} deserialised to null.");

    private JsonTypeInfo<T> GetTypeInfo<T>()
    {
        // JsonSerializerOptions caches type infos, so this is a dictionary lookup after the first call.
        if (_options.TryGetTypeInfo(typeof(T), out var info) && info is JsonTypeInfo<T> typed)
        {
            return typed;
        }
        throw new InvalidOperationException(
            $"Grain state type {typeof(T).FullName} is not in any JsonSerializerContext registered with AddGrainStateJson.");
    }
}
