using System.Buffers;
using System.IO.Pipelines;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Parley.Sim.Chat;
using Parley.Sim.Faults;

namespace Parley.Sim.Anthropic;

/// <summary>Writes a Messages answer as one JSON message or as Anthropic's event stream (message_start,
/// content_block_start, ping, content_block_delta…, content_block_stop, …, message_delta, message_stop), paced like
/// the chat completions (one chunk of TokensPerChunk tokens per delta, text first, then the tool input JSON), and cut
/// short when a cut-mid-stream fault is planned.</summary>
internal sealed class MessagesResponder(ReplyPacer pacer)
{
    private static ReadOnlySpan<byte> EventEnd => "\n\n"u8;

    /// <summary>One message body; with <paramref name="cutMidStream"/>, Content-Length promises the whole body, half
    /// of it is sent and the connection is cut (throws <see cref="SimulatedConnectionCutException"/>). Returns whether
    /// the answer was whole.</summary>
    public async Task<bool> WriteJsonAsync(HttpContext context, string id, string model, MessagesAnswer answer, int inputTokens, bool cutMidStream)
    {
        var ct = context.RequestAborted;
        var pace = pacer.Start();
        await pace.WaitForChunkAsync(ChunkCount(pace, answer) - 1, ct);
        await CompletionResponder.WriteJsonBodyAsync(context.Response, (id, model, answer, inputTokens),
            static (writer, s) => MessagesJson.WriteMessage(writer, s.id, s.model, s.answer, s.inputTokens), cutMidStream, ct);
        return true;
    }

    /// <summary>The event stream, flushing every event. With <paramref name="cutAfterEvents"/>, the connection is cut
    /// after that many events, and always before message_stop (throws
    /// <see cref="SimulatedConnectionCutException"/>). Returns whether the stream was whole.</summary>
    public async Task<bool> StreamAsync(HttpContext context, string id, string model, MessagesAnswer answer, int inputTokens, int? cutAfterEvents)
    {
        var ct = context.RequestAborted;
        var pace = pacer.Start();
        var response = context.Response;
        response.ContentType = CompletionResponder.EventStreamContentType;
        response.Headers.CacheControl = "no-cache";
        context.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
        await pace.WaitForChunkAsync(0, ct);

        var stream = new EventWriter(response.BodyWriter, cutAfterEvents ?? int.MaxValue);
        using var writer = new Utf8JsonWriter(response.BodyWriter, CompletionJson.WriterOptions);

        stream.Begin("event: message_start\ndata: "u8);
        MessagesJson.WriteMessageStart(writer, id, model, inputTokens);
        var open = await stream.EndAsync(writer, ct);
        open = open && await WriteEventAsync(stream, writer, "event: content_block_start\ndata: "u8, static (w, _) => MessagesJson.WriteTextBlockStart(w, 0), 0, ct);
        open = open && await WriteEventAsync(stream, writer, "event: ping\ndata: "u8, static (w, _) => MessagesJson.WritePing(w), 0, ct);

        var text = answer.Text;
        var textChunks = pace.ChunkCount(text.TokenCount);
        for (var chunk = 0; open && chunk < textChunks; chunk++)
        {
            if (chunk > 0)
            {
                await pace.WaitForChunkAsync(chunk, ct);
            }
            var first = chunk * pace.TokensPerChunk;
            stream.Begin("event: content_block_delta\ndata: "u8);
            MessagesJson.WriteTextDelta(writer, 0, text.Tokens(first, Math.Min(pace.TokensPerChunk, text.TokenCount - first)));
            open = await stream.EndAsync(writer, ct);
        }
        open = open && await WriteEventAsync(stream, writer, "event: content_block_stop\ndata: "u8, static (w, _) => MessagesJson.WriteBlockStop(w, 0), 0, ct);

        if (answer.Tool is { } tool)
        {
            open = open && await WriteEventAsync(stream, writer, "event: content_block_start\ndata: "u8, static (w, t) => MessagesJson.WriteToolUseBlockStart(w, 1, t), tool, ct);
            var input = tool.Input;
            var inputChunks = pace.ChunkCount(input.TokenCount);
            for (var chunk = 0; open && chunk < inputChunks; chunk++)
            {
                // The input's chunks follow the text's on the same pace.
                await pace.WaitForChunkAsync(textChunks + chunk, ct);
                var first = chunk * pace.TokensPerChunk;
                stream.Begin("event: content_block_delta\ndata: "u8);
                MessagesJson.WriteInputJsonDelta(writer, 1, input.Tokens(first, Math.Min(pace.TokensPerChunk, input.TokenCount - first)));
                open = await stream.EndAsync(writer, ct);
            }
            open = open && await WriteEventAsync(stream, writer, "event: content_block_stop\ndata: "u8, static (w, _) => MessagesJson.WriteBlockStop(w, 1), 0, ct);
        }

        if (open)
        {
            stream.Begin("event: message_delta\ndata: "u8);
            MessagesJson.WriteMessageDelta(writer, answer.StopReason, answer.StopSequence, answer.OutputTokens);
            open = await stream.EndAsync(writer, ct);
        }
        if (open && cutAfterEvents is not null)
        {
            // A planned cut always truncates, even when the stream is shorter than the cut point.
            throw new SimulatedConnectionCutException();
        }
        return open && await WriteEventAsync(stream, writer, "event: message_stop\ndata: "u8, static (w, _) => MessagesJson.WriteMessageStop(w), 0, ct);
    }

    private static ValueTask<bool> WriteEventAsync<T>(EventWriter stream, Utf8JsonWriter writer, ReadOnlySpan<byte> prefix, Action<Utf8JsonWriter, T> write, T arg, CancellationToken ct)
    {
        stream.Begin(prefix);
        write(writer, arg);
        return stream.EndAsync(writer, ct);
    }

    private static int ChunkCount(in ReplyPace pace, MessagesAnswer answer)
        => pace.ChunkCount(answer.Text.TokenCount) + (answer.Tool is { } tool ? pace.ChunkCount(tool.Input.TokenCount) : 0);

    // Frames the events: the "event:" and "data:" lines go to the pipe before the JSON (the writer's pending bytes sit
    // in pipe memory not yet advanced), and each event is flushed on its own.
    private sealed class EventWriter(PipeWriter pipe, int cutAfter)
    {
        private int _events;

        public void Begin(ReadOnlySpan<byte> prefix) => pipe.Write(prefix);

        public async ValueTask<bool> EndAsync(Utf8JsonWriter writer, CancellationToken ct)
        {
            writer.Flush();
            writer.Reset();
            pipe.Write(EventEnd);
            var result = await pipe.FlushAsync(ct);
            if (result.IsCompleted || result.IsCanceled)
            {
                return false;
            }
            if (++_events >= cutAfter)
            {
                throw new SimulatedConnectionCutException();
            }
            return true;
        }
    }
}
