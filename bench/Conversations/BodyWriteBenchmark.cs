using System.Buffers;
using System.Diagnostics;
using System.Text.Encodings.Web;
using System.Text.Json;
using Parley.GrainInterfaces.Conversations;

namespace Parley.Bench.Conversations;

/// <summary>How stored messages are written: <see cref="AsRewriter"/> is what the silo does today; the other two are
/// shown for comparison only, to price the UTF-16 to UTF-8 transcoding and the re-validation of stored JSON.</summary>
internal enum BodyWriteMode
{
    /// <summary><c>WriteRawValue(string)</c>: transcoded and validated, as ChatRequestRewriter does.</summary>
    AsRewriter,

    /// <summary><c>WriteRawValue(string, skipInputValidation: true)</c>: transcoded only.</summary>
    SkipValidation,

    /// <summary>UTF-8 bytes encoded once beforehand, written without validation: a plain copy.</summary>
    PreEncodedUtf8,
}

internal sealed record BodyWriteResult(string Label, BodyWriteMode Mode, int Messages, int BodyBytes, Percentiles Latency, double BytesPerWrite);

/// <summary>
/// The other half of a prompt build on the chat path: writing the grain's messages into the upstream request body.
/// Mirrors what silo/Chat/ChatRequestRewriter does with them (that class is internal to the silo): one reused
/// Utf8JsonWriter with relaxed escaping and validation on, each stored message written with
/// <see cref="Utf8JsonWriter.WriteRawValue(string, bool)"/> (validated, transcoded from UTF-16), the client's new message
/// as raw UTF-8 without validation (it comes from the parsed request), into a reused <see cref="ArrayBufferWriter{T}"/>.
/// </summary>
internal static class BodyWriteBenchmark
{
    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, SkipValidation = false };
    private static readonly JsonEncodedText ModelName = JsonEncodedText.Encode("model");
    private static readonly JsonEncodedText MessagesName = JsonEncodedText.Encode("messages");

    public static BodyWriteResult Measure(string label, BodyWriteMode mode, IReadOnlyList<ChatMessageRecord> conversation, ReadOnlyMemory<byte> newMessage,
        int iterations)
    {
        // Encoded outside the timed writes: this variant prices only the copy.
        var utf8 = mode == BodyWriteMode.PreEncodedUtf8 ? conversation.Select(m => System.Text.Encoding.UTF8.GetBytes(m.Json)).ToArray() : null;
        var output = new ArrayBufferWriter<byte>(1 << 16);
        var writer = new Utf8JsonWriter(Stream.Null, WriterOptions);
        var warmup = Math.Max(20, iterations / 10);
        for (var i = 0; i < warmup; i++)
        {
            Write(writer, output, mode, conversation, utf8, newMessage.Span);
        }

        var samples = new long[iterations];
        var allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < samples.Length; i++)
        {
            var start = Stopwatch.GetTimestamp();
            Write(writer, output, mode, conversation, utf8, newMessage.Span);
            samples[i] = Stopwatch.GetTimestamp() - start;
        }
        var allocated = GC.GetAllocatedBytesForCurrentThread() - allocatedBefore;
        return new BodyWriteResult(label, mode, conversation.Count + 1, output.WrittenCount, Percentiles.Of(samples), (double)allocated / samples.Length);
    }

    private static void Write(Utf8JsonWriter writer, ArrayBufferWriter<byte> output, BodyWriteMode mode, IReadOnlyList<ChatMessageRecord> conversation,
        byte[][]? utf8, ReadOnlySpan<byte> newMessage)
    {
        output.ResetWrittenCount();
        writer.Reset(output);
        writer.WriteStartObject();
        writer.WriteString(ModelName, PromptBuildBenchmark.Model);
        writer.WriteStartArray(MessagesName);
        if (utf8 is not null)
        {
            foreach (var stored in utf8)
            {
                writer.WriteRawValue(stored, skipInputValidation: true);
            }
        }
        else
        {
            var skipValidation = mode == BodyWriteMode.SkipValidation;
            foreach (var stored in conversation)
            {
                writer.WriteRawValue(stored.Json, skipValidation);
            }
        }
        writer.WriteRawValue(newMessage, skipInputValidation: true);
        writer.WriteEndArray();
        writer.WriteEndObject();
        writer.Flush();
        writer.Reset(Stream.Null);
    }
}
