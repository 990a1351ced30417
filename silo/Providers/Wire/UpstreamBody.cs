using System.Text.Json;

namespace Parley.Silo.Providers.Wire;

/// <summary>A deployment's model name, as sent and pre-encoded for JSON.</summary>
internal sealed class UpstreamModelName(string name)
{
    public string Name { get; } = name;

    public JsonEncodedText Json { get; } = JsonEncodedText.Encode(name);
}

/// <summary>The OpenAI-shaped body sent upstream, written once with the first deployment's model name. The byte range
/// of that name's JSON string is known, so a deployment with another model name gets the same bytes with only that
/// range replaced, rather than a second rewrite of the whole (possibly long) conversation.</summary>
internal sealed class UpstreamBody(ReadOnlyMemory<byte> written, int modelStart, int modelLength, UpstreamModelName writtenModel)
{
    private (UpstreamModelName Model, ReadOnlyMemory<byte> Bytes)? _other;

    /// <summary>A body whose model string occupies <paramref name="modelLength"/> bytes from <paramref name="modelStart"/>.</summary>
    public static UpstreamBody Of(ReadOnlyMemory<byte> written, int modelStart, int modelLength, UpstreamModelName model)
        => new(written, modelStart, modelLength, model);

    /// <summary>The body for <paramref name="model"/>.</summary>
    public ReadOnlyMemory<byte> For(UpstreamModelName model)
    {
        if (ReferenceEquals(model, writtenModel) || model.Name == writtenModel.Name)
        {
            return written;
        }
        if (_other is { } other && other.Model.Name == model.Name)
        {
            return other.Bytes;
        }
        var span = written.Span;
        var name = model.Json.EncodedUtf8Bytes;
        var bytes = new byte[span.Length - modelLength + name.Length + 2];
        span[..modelStart].CopyTo(bytes);
        var at = modelStart;
        bytes[at++] = (byte)'"';
        name.CopyTo(bytes.AsSpan(at));
        at += name.Length;
        bytes[at++] = (byte)'"';
        span[(modelStart + modelLength)..].CopyTo(bytes.AsSpan(at));
        _other = (model, bytes);
        return bytes;
    }

    /// <summary>Writes <c>"model":"…"</c> through <paramref name="writer"/> (which must write into the buffer whose start
    /// it was reset to) and returns where the value's string landed.</summary>
    public static (int Start, int Length) WriteModel(Utf8JsonWriter writer, JsonEncodedText propertyName, UpstreamModelName model)
    {
        writer.WritePropertyName(propertyName);
        writer.Flush();
        var start = (int)writer.BytesCommitted;
        writer.WriteStringValue(model.Json);
        writer.Flush();
        return (start, (int)writer.BytesCommitted - start);
    }
}
