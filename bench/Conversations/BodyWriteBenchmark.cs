using System.Buffers;
using System.Diagnostics;
using System.Text.Encodings.Web;
using System.Text.Json;
using Parley.GrainInterfaces.Conversations;
using Parley.Silo.Chat;

namespace Parley.Bench.Conversations;

internal sealed record BodyWriteResult(string Label, int Messages, int BodyBytes, Percentiles Latency, double BytesPerWrite);

/// <summary>
/// The other half of a prompt build on the chat path: writing the grain's messages into the upstream request body, with
/// the silo's own <see cref="ChatRequestRewriter.WriteMessages"/> (each stored message's UTF-8 bytes copied as they are,
/// then the client's new message), between the body's model and its end, through one reused Utf8JsonWriter into a
/// reused <see cref="ArrayBufferWriter{T}"/>.
/// </summary>
internal static class BodyWriteBenchmark
{
    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, SkipValidation = false };
    private static readonly JsonEncodedText ModelName = JsonEncodedText.Encode("model");

    public static BodyWriteResult Measure(string label, IReadOnlyList<ChatMessageRecord> conversation, ReadOnlyMemory<byte> newMessage, int iterations)
    {
        var output = new ArrayBufferWriter<byte>(1 << 16);
        var writer = new Utf8JsonWriter(Stream.Null, WriterOptions);
        // The client's messages as the silo holds them: the request's parsed array.
        using var request = JsonDocument.Parse((byte[])[(byte)'[', .. newMessage.Span, (byte)']']);
        var newMessages = request.RootElement;
        var warmup = Math.Max(20, iterations / 10);
        for (var i = 0; i < warmup; i++)
        {
            Write(writer, output, conversation, newMessages);
        }

        var samples = new long[iterations];
        var allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < samples.Length; i++)
        {
            var start = Stopwatch.GetTimestamp();
            Write(writer, output, conversation, newMessages);
            samples[i] = Stopwatch.GetTimestamp() - start;
        }
        var allocated = GC.GetAllocatedBytesForCurrentThread() - allocatedBefore;
        return new BodyWriteResult(label, conversation.Count + 1, output.WrittenCount, Percentiles.Of(samples), (double)allocated / samples.Length);
    }

    private static void Write(Utf8JsonWriter writer, ArrayBufferWriter<byte> output, IReadOnlyList<ChatMessageRecord> conversation, JsonElement newMessages)
    {
        output.ResetWrittenCount();
        writer.Reset(output);
        writer.WriteStartObject();
        writer.WriteString(ModelName, BenchConversations.Model);
        ChatRequestRewriter.WriteMessages(writer, newMessages, conversation);
        writer.WriteEndObject();
        writer.Flush();
        writer.Reset(Stream.Null);
    }
}
