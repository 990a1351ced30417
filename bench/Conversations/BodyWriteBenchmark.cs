using System.Buffers;
using System.Diagnostics;
using System.Text.Encodings.Web;
using System.Text.Json;
using Parley.GrainInterfaces.Conversations;

namespace Parley.Bench.Conversations;

internal sealed record BodyWriteResult(string Label, int Messages, int BodyBytes, Percentiles Latency, double BytesPerWrite);

/// <summary>
/// The other half of a prompt build on the chat path: writing the grain's messages into the upstream request body.
/// Mirrors what silo/Chat/ChatRequestRewriter does with them (that class is internal to the silo): one reused
/// Utf8JsonWriter with relaxed escaping, each stored message's UTF-8 bytes copied with
/// <c>WriteRawValue(bytes, skipInputValidation: true)</c> (they were validated when they entered Parley), then the client's
/// new message the same way, into a reused <see cref="ArrayBufferWriter{T}"/>.
/// </summary>
internal static class BodyWriteBenchmark
{
    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, SkipValidation = false };
    private static readonly JsonEncodedText ModelName = JsonEncodedText.Encode("model");
    private static readonly JsonEncodedText MessagesName = JsonEncodedText.Encode("messages");

    public static BodyWriteResult Measure(string label, IReadOnlyList<ChatMessageRecord> conversation, ReadOnlyMemory<byte> newMessage, int iterations)
    {
        var output = new ArrayBufferWriter<byte>(1 << 16);
        var writer = new Utf8JsonWriter(Stream.Null, WriterOptions);
        var warmup = Math.Max(20, iterations / 10);
        for (var i = 0; i < warmup; i++)
        {
            Write(writer, output, conversation, newMessage.Span);
        }

        var samples = new long[iterations];
        var allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < samples.Length; i++)
        {
            var start = Stopwatch.GetTimestamp();
            Write(writer, output, conversation, newMessage.Span);
            samples[i] = Stopwatch.GetTimestamp() - start;
        }
        var allocated = GC.GetAllocatedBytesForCurrentThread() - allocatedBefore;
        return new BodyWriteResult(label, conversation.Count + 1, output.WrittenCount, Percentiles.Of(samples), (double)allocated / samples.Length);
    }

    private static void Write(Utf8JsonWriter writer, ArrayBufferWriter<byte> output, IReadOnlyList<ChatMessageRecord> conversation, ReadOnlySpan<byte> newMessage)
    {
        output.ResetWrittenCount();
        writer.Reset(output);
        writer.WriteStartObject();
        writer.WriteString(ModelName, BenchConversations.Model);
        writer.WriteStartArray(MessagesName);
        for (var i = 0; i < conversation.Count; i++)
        {
            writer.WriteRawValue(conversation[i].Utf8Json.Span, skipInputValidation: true);
        }
        writer.WriteRawValue(newMessage, skipInputValidation: true);
        writer.WriteEndArray();
        writer.WriteEndObject();
        writer.Flush();
        writer.Reset(Stream.Null);
    }
}
