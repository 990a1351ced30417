using System.Buffers;
using System.IO.Pipelines;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Parley.Sim.Faults;

namespace Parley.Sim.Chat;

/// <summary>Writes a reply as one JSON body or as an SSE stream, paced by the configured time to first token and
/// tokens per second, and cut short when a cut-mid-stream fault is planned.</summary>
internal sealed class CompletionResponder(ReplyPacer pacer)
{
    public const string EventStreamContentType = "text/event-stream; charset=utf-8";
    public const string JsonContentType = "application/json";

    private static ReadOnlySpan<byte> DataPrefix => "data: "u8;
    private static ReadOnlySpan<byte> EventEnd => "\n\n"u8;
    private static ReadOnlySpan<byte> DoneEvent => "data: [DONE]\n\n"u8;

    /// <summary>Answers with one chat.completion body; with <paramref name="cutMidStream"/>, promises the whole
    /// body in Content-Length, sends half of it and cuts the connection (throws
    /// <see cref="SimulatedConnectionCutException"/>). Returns whether the answer was whole.</summary>
    public async Task<bool> WriteJsonAsync(HttpContext context, CompletionHeader header, Reply reply, int promptTokens, bool cutMidStream)
    {
        var ct = context.RequestAborted;
        var pace = pacer.Start();
        await pace.WaitForChunkAsync(pace.ChunkCount(reply.TokenCount) - 1, ct);
        await WriteJsonBodyAsync(context.Response, (header, reply, promptTokens),
            static (writer, s) => CompletionJson.WriteCompletion(writer, s.header, s.reply, s.promptTokens), cutMidStream, ct);
        return true;
    }

    /// <summary>One JSON answer, written by <paramref name="write"/>: straight into the response, or, with
    /// <paramref name="cutMidStream"/>, Content-Length for the whole body, half of it, and a cut (throws
    /// <see cref="SimulatedConnectionCutException"/>). Shared by every API the simulator speaks.</summary>
    internal static async Task WriteJsonBodyAsync<TState>(HttpResponse response, TState state, Action<Utf8JsonWriter, TState> write, bool cutMidStream,
        CancellationToken ct)
    {
        response.ContentType = JsonContentType;
        if (cutMidStream)
        {
            var buffer = new ArrayBufferWriter<byte>();
            using (var writer = new Utf8JsonWriter(buffer, CompletionJson.WriterOptions))
            {
                write(writer, state);
            }
            response.ContentLength = buffer.WrittenCount;
            await response.Body.WriteAsync(buffer.WrittenMemory[..(buffer.WrittenCount / 2)], ct);
            await response.Body.FlushAsync(ct);
            throw new SimulatedConnectionCutException();
        }
        var pipe = response.BodyWriter;
        using (var writer = new Utf8JsonWriter(pipe, CompletionJson.WriterOptions))
        {
            write(writer, state);
        }
        await pipe.FlushAsync(ct);
    }

    /// <summary>Streams the reply as chat.completion.chunk events ending in [DONE], flushing every event. With
    /// <paramref name="cutAfterEvents"/>, the connection is cut after that many events, and always before [DONE]
    /// (throws <see cref="SimulatedConnectionCutException"/>). Returns whether the stream was whole.</summary>
    public async Task<bool> StreamAsync(HttpContext context, CompletionHeader header, Reply reply, int promptTokens, int? cutAfterEvents)
    {
        var ct = context.RequestAborted;
        var pace = pacer.Start();
        var response = context.Response;
        response.ContentType = EventStreamContentType;
        response.Headers.CacheControl = "no-cache";
        context.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
        await pace.WaitForChunkAsync(0, ct);

        var pipe = response.BodyWriter;
        using var writer = new Utf8JsonWriter(pipe, CompletionJson.WriterOptions);
        var cutAfter = cutAfterEvents ?? int.MaxValue;
        var events = 0;

        pipe.Write(DataPrefix);
        CompletionJson.WriteRoleChunk(writer, header);
        if (!await EndEventAsync(writer, pipe, ++events, cutAfter, ct))
        {
            return false;
        }
        var chunks = pace.ChunkCount(reply.TokenCount);
        for (var chunk = 0; chunk < chunks; chunk++)
        {
            if (chunk > 0)
            {
                await pace.WaitForChunkAsync(chunk, ct);
            }
            var first = chunk * pace.TokensPerChunk;
            pipe.Write(DataPrefix);
            CompletionJson.WriteContentChunk(writer, header, reply.Tokens(first, Math.Min(pace.TokensPerChunk, reply.TokenCount - first)));
            if (!await EndEventAsync(writer, pipe, ++events, cutAfter, ct))
            {
                return false;
            }
        }
        pipe.Write(DataPrefix);
        CompletionJson.WriteFinishChunk(writer, header, reply.FinishReason);
        if (!await EndEventAsync(writer, pipe, ++events, cutAfter, ct))
        {
            return false;
        }
        if (header.IncludeUsage)
        {
            pipe.Write(DataPrefix);
            CompletionJson.WriteUsageChunk(writer, header, promptTokens, reply.CompletionTokens);
            if (!await EndEventAsync(writer, pipe, ++events, cutAfter, ct))
            {
                return false;
            }
        }
        if (cutAfterEvents is not null)
        {
            // A planned cut always truncates, even when the stream is shorter than the cut point.
            throw new SimulatedConnectionCutException();
        }
        pipe.Write(DoneEvent);
        var done = await pipe.FlushAsync(ct);
        return !done.IsCanceled;
    }

    // Ends the SSE event whose "data: " prefix and JSON are written, and flushes it to the client. The prefix goes
    // to the pipe before the JSON: the writer's pending bytes sit in pipe memory that is not yet advanced.
    private static async ValueTask<bool> EndEventAsync(Utf8JsonWriter writer, PipeWriter pipe, int events, int cutAfter, CancellationToken ct)
    {
        writer.Flush();
        writer.Reset();
        pipe.Write(EventEnd);
        var result = await pipe.FlushAsync(ct);
        if (result.IsCompleted || result.IsCanceled)
        {
            return false;
        }
        if (events >= cutAfter)
        {
            throw new SimulatedConnectionCutException();
        }
        return true;
    }
}
