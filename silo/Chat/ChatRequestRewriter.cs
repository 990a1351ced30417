using System.Runtime.InteropServices;
using System.Text.Encodings.Web;
using System.Text.Json;
using Parley.GrainInterfaces.Conversations;
using Parley.Silo.Providers.Wire;

namespace Parley.Silo.Chat;

/// <summary>Writes the body sent upstream: the client's body with every property copied byte for byte, except
/// <c>model</c> (the first deployment's upstream name; other deployments swap just that string), <c>messages</c> (stored conversation messages first), <c>stream_options</c>
/// (usage always requested when streaming, so quotas can be reconciled) and Parley's own <c>conversation</c>.</summary>
internal static class ChatRequestRewriter
{
    private static readonly JsonEncodedText ModelName = JsonEncodedText.Encode("model");
    private static readonly JsonEncodedText MessagesName = JsonEncodedText.Encode("messages");
    private static readonly JsonEncodedText StreamOptionsName = JsonEncodedText.Encode("stream_options");
    private static readonly JsonEncodedText IncludeUsageName = JsonEncodedText.Encode("include_usage");

    // Relaxed escaping keeps non-ASCII property names as they were; values are written raw and never re-escaped.
    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, SkipValidation = false };

    [ThreadStatic]
    private static Utf8JsonWriter? t_writer;

    /// <summary>Writes into <paramref name="output"/>, which must be empty, and returns the body over its bytes.</summary>
    public static UpstreamBody Write(PooledBufferWriter output, JsonElement root, in ChatRequest request, IReadOnlyList<ChatMessageRecord>? conversation)
    {
        var writer = t_writer ??= new Utf8JsonWriter(Stream.Null, WriterOptions);
        writer.Reset(output);
        var model = request.Model.Primary.Model;
        (int Start, int Length) slot = default;
        try
        {
            writer.WriteStartObject();
            var wroteStreamOptions = false;
            foreach (var property in root.EnumerateObject())
            {
                if (property.NameEquals("model"u8))
                {
                    slot = UpstreamBody.WriteModel(writer, ModelName, model);
                }
                else if (property.NameEquals("conversation"u8))
                {
                    continue;
                }
                else if (property.NameEquals("messages"u8))
                {
                    // The request's messages: the client's, or as the input policy rewrote them.
                    WriteMessages(writer, request.Messages, conversation);
                }
                else if (request.Stream && property.NameEquals("stream_options"u8))
                {
                    WriteStreamOptions(writer, property.Value);
                    wroteStreamOptions = true;
                }
                else
                {
                    WriteRawProperty(writer, property);
                }
            }
            if (request.Stream && !wroteStreamOptions)
            {
                WriteStreamOptions(writer, default);
            }
            writer.WriteEndObject();
            writer.Flush();
        }
        finally
        {
            // Detach from the pooled output so the cached writer holds no reference to it.
            writer.Reset(Stream.Null);
        }
        return UpstreamBody.Of(output.WrittenMemory, slot.Start, slot.Length, model);
    }

    /// <summary>The body's <c>messages</c>: the conversation's stored messages, then the request's (also timed on its own by
    /// the conversation benchmark).</summary>
    internal static void WriteMessages(Utf8JsonWriter writer, JsonElement messages, IReadOnlyList<ChatMessageRecord>? conversation)
    {
        writer.WriteStartArray(MessagesName);
        if (conversation is not null)
        {
            // Indexed, not foreach: an interface's enumerator would be an allocation per turn.
            for (var i = 0; i < conversation.Count; i++)
            {
                // Stored messages were validated on the way in: copied as bytes, not re-validated or transcoded.
                writer.WriteRawValue(conversation[i].Utf8Json.Span, skipInputValidation: true);
            }
        }
        foreach (var message in messages.EnumerateArray())
        {
            writer.WriteRawValue(JsonMarshal.GetRawUtf8Value(message), skipInputValidation: true);
        }
        writer.WriteEndArray();
    }

    /// <summary>Keeps the client's other stream options and forces <c>include_usage</c>.</summary>
    private static void WriteStreamOptions(Utf8JsonWriter writer, JsonElement clientOptions)
    {
        writer.WriteStartObject(StreamOptionsName);
        if (clientOptions.ValueKind == JsonValueKind.Object)
        {
            foreach (var property in clientOptions.EnumerateObject())
            {
                if (!property.NameEquals("include_usage"u8))
                {
                    WriteRawProperty(writer, property);
                }
            }
        }
        writer.WriteBoolean(IncludeUsageName, true);
        writer.WriteEndObject();
    }

    private static void WriteRawProperty(Utf8JsonWriter writer, JsonProperty property)
    {
        var rawName = JsonMarshal.GetRawUtf8PropertyName(property);
        if (rawName.IndexOf((byte)'\\') >= 0)
        {
            // An escaped name must be unescaped first, or the writer would escape its backslashes again.
            writer.WritePropertyName(property.Name);
        }
        else
        {
            writer.WritePropertyName(rawName);
        }
        writer.WriteRawValue(JsonMarshal.GetRawUtf8Value(property.Value), skipInputValidation: true);
    }
}
