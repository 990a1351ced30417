using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Parley.GrainInterfaces.Conversations;

namespace Parley.Silo.Chat;

/// <summary>Answers a retried turn from the transcript, in the shape the retry asked for: a <c>chat.completion</c>, or
/// (streamed) one chunk carrying the whole reply, one carrying the finish reason, the usage chunk if the client asked
/// for it, and <c>[DONE]</c>. The response says it is a replay with <c>x-parley-replay: true</c>.</summary>
internal static class TurnReplay
{
    public const string HeaderName = "x-parley-replay";
    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static async Task WriteAsync(HttpContext context, StoredTurn turn, bool stream, bool includeUsage, string model)
    {
        var response = context.Response;
        response.Headers[HeaderName] = "true";
        response.StatusCode = StatusCodes.Status200OK;
        var reply = turn.Reply;
        var id = reply.ResponseId ?? "chatcmpl-replay";
        var answeredModel = reply.Model ?? model;
        if (!stream)
        {
            var body = new ArrayBufferWriter<byte>(turn.Assistant.Utf8Json.Length + 256);
            using (var writer = new Utf8JsonWriter(body, WriterOptions))
            {
                writer.WriteStartObject();
                WriteHead(writer, id, "chat.completion", reply.Created, answeredModel, reply.SystemFingerprint);
                writer.WriteStartArray("choices"u8);
                writer.WriteStartObject();
                writer.WriteNumber("index"u8, 0);
                writer.WritePropertyName("message"u8);
                writer.WriteRawValue(turn.Assistant.Utf8Json.Span, skipInputValidation: true);
                writer.WriteNull("logprobs"u8);
                WriteFinish(writer, reply.FinishReason ?? "stop");
                writer.WriteEndObject();
                writer.WriteEndArray();
                WriteUsage(writer, reply.Usage);
                writer.WriteEndObject();
            }
            response.ContentType = "application/json";
            response.ContentLength = body.WrittenCount;
            await response.Body.WriteAsync(body.WrittenMemory, context.RequestAborted).ConfigureAwait(false);
            return;
        }

        response.ContentType = SseResponse.MediaType;
        response.Headers.CacheControl = "no-cache";
        context.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
        var output = response.BodyWriter;
        WriteChunk(output, id, reply, answeredModel, writer =>
        {
            writer.WritePropertyName("delta"u8);
            WriteDelta(writer, turn.Assistant.Utf8Json);
            writer.WriteNull("finish_reason"u8);
        });
        WriteChunk(output, id, reply, answeredModel, writer =>
        {
            writer.WriteStartObject("delta"u8);
            writer.WriteEndObject();
            WriteFinish(writer, reply.FinishReason ?? "stop");
        });
        if (includeUsage && reply.Usage is not null)
        {
            WriteEvent(output, writer =>
            {
                writer.WriteStartObject();
                WriteHead(writer, id, "chat.completion.chunk", reply.Created, answeredModel, reply.SystemFingerprint);
                writer.WriteStartArray("choices"u8);
                writer.WriteEndArray();
                WriteUsage(writer, reply.Usage);
                writer.WriteEndObject();
            });
        }
        output.Write("data: [DONE]\n\n"u8);
        await output.FlushAsync(context.RequestAborted).ConfigureAwait(false);
    }

    /// <summary>The stored message as one delta: its role, content, refusal and tool calls (each with its index).</summary>
    private static void WriteDelta(Utf8JsonWriter writer, ReadOnlyMemory<byte> message)
    {
        using var document = JsonDocument.Parse(message);
        var root = document.RootElement;
        writer.WriteStartObject();
        writer.WriteString("role"u8, "assistant");
        foreach (var property in root.EnumerateObject())
        {
            if (property.NameEquals("role"u8))
            {
                continue;
            }
            if (property.NameEquals("tool_calls"u8) && property.Value.ValueKind == JsonValueKind.Array)
            {
                writer.WriteStartArray("tool_calls"u8);
                var index = 0;
                foreach (var call in property.Value.EnumerateArray())
                {
                    writer.WriteStartObject();
                    writer.WriteNumber("index"u8, index++);
                    foreach (var field in call.EnumerateObject())
                    {
                        field.WriteTo(writer);
                    }
                    writer.WriteEndObject();
                }
                writer.WriteEndArray();
                continue;
            }
            property.WriteTo(writer);
        }
        writer.WriteEndObject();
    }

    private static void WriteChunk(IBufferWriter<byte> output, string id, TurnReply reply, string model, Action<Utf8JsonWriter> writeChoice)
        => WriteEvent(output, writer =>
        {
            writer.WriteStartObject();
            WriteHead(writer, id, "chat.completion.chunk", reply.Created, model, reply.SystemFingerprint);
            writer.WriteStartArray("choices"u8);
            writer.WriteStartObject();
            writer.WriteNumber("index"u8, 0);
            writeChoice(writer);
            writer.WriteEndObject();
            writer.WriteEndArray();
            writer.WriteEndObject();
        });

    private static void WriteEvent(IBufferWriter<byte> output, Action<Utf8JsonWriter> write)
    {
        output.Write("data: "u8);
        using (var writer = new Utf8JsonWriter(output, WriterOptions))
        {
            write(writer);
        }
        output.Write("\n\n"u8);
    }

    private static void WriteHead(Utf8JsonWriter writer, string id, string objectType, long created, string model, string? fingerprint)
    {
        writer.WriteString("id"u8, id);
        writer.WriteString("object"u8, objectType);
        writer.WriteNumber("created"u8, created);
        writer.WriteString("model"u8, model);
        if (fingerprint is not null)
        {
            writer.WriteString("system_fingerprint"u8, fingerprint);
        }
    }

    private static void WriteFinish(Utf8JsonWriter writer, string finishReason) => writer.WriteString("finish_reason"u8, finishReason);

    private static void WriteUsage(Utf8JsonWriter writer, byte[]? usage)
    {
        if (usage is null)
        {
            return;
        }
        writer.WritePropertyName("usage"u8);
        writer.WriteRawValue(usage, skipInputValidation: true);
    }
}
