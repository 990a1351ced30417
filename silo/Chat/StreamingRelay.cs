using System.Buffers;
using System.IO.Pipelines;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace Parley.Silo.Chat;

/// <summary>Relays an upstream SSE stream event by event: each complete event is written and flushed as soon as it
/// has arrived, nothing more is held than a partial event. The usage-only chunk Parley asked for is dropped unless
/// the client asked for it too.</summary>
internal static class StreamingRelay
{
    private static ReadOnlySpan<byte> EventTerminator => "\n\n"u8;
    private static ReadOnlySpan<byte> DoneEvent => "data: [DONE]"u8;

    public static async Task<ChatCompletionResult> RelayAsync(ChatExchange exchange, Stream upstreamBody)
    {
        var response = exchange.Context.Response;
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = SseResponse.MediaType;
        response.Headers.CacheControl = "no-cache";
        response.Headers["X-Accel-Buffering"] = "no";
        exchange.Context.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();

        var reader = PipeReader.Create(upstreamBody);
        var output = response.BodyWriter;
        var builder = exchange.ConversationId is null ? null : new AssistantMessageBuilder();
        ChatUsage? usage = null;
        string? finishReason = null;
        var sawDone = false;
        try
        {
            while (true)
            {
                exchange.ArmTimeout();
                var result = await reader.ReadAsync(exchange.Token).ConfigureAwait(false);
                var buffer = result.Buffer;
                var wrote = false;
                while (TryReadEvent(ref buffer, result.IsCompleted, out var sseEvent))
                {
                    switch (StreamEventInspector.Inspect(sseEvent, ref usage, ref finishReason))
                    {
                        case StreamEventKind.Done when !sawDone:
                            sawDone = true;
                            exchange.DisarmTimeout();
                            if (exchange.Reply is { } policy && policy.FlushChunk() is { } held)
                            {
                                // What the policy still held back (a choice that sent no finish reason).
                                WriteData(output, held);
                            }
                            if (exchange.Reply?.BlockedBy is not null)
                            {
                                return await EndBlockedAsync(exchange, output, usage).ConfigureAwait(false);
                            }
                            // The transcript keeps the upstream's words (placeholders) with output rules applied.
                            if (builder is not null
                                && (await exchange.StoreTurnAsync(exchange.Reply?.ForStorage(builder.Build()) ?? builder.Build(), builder.BuildReply())
                                    .ConfigureAwait(false)).Status == TurnStoreStatus.Failed)
                            {
                                // The client must not believe a turn was kept that was not. (An earlier attempt found
                                // stored stands in the transcript; this stream's text has already gone out.)
                                return await exchange.FailAsync(new IOException("The turn could not be stored."), usage).ConfigureAwait(false);
                            }
                            output.Write(DoneEvent);
                            output.Write(EventTerminator);
                            wrote = true;
                            break;
                        case StreamEventKind.UsageOnly when !exchange.ClientIncludeUsage:
                            AddToTurn(builder, sseEvent);
                            break;
                        case StreamEventKind.UsageOnly:
                            AddToTurn(builder, sseEvent);
                            WriteEvent(output, sseEvent);
                            wrote = true;
                            break;
                        case StreamEventKind.Chunk:
                            if (builder is not null && StreamEventInspector.TryGetData(sseEvent, out var data))
                            {
                                builder.AddChunk(data);
                            }
                            if (exchange.StreamedChunks++ == 0)
                            {
                                exchange.FirstChunkTimestamp = System.Diagnostics.Stopwatch.GetTimestamp();
                            }
                            wrote = true;
                            if (exchange.Reply is { } filter && StreamEventInspector.TryGetData(sseEvent, out var chunk))
                            {
                                var rewritten = filter.RewriteChunk(chunk);
                                if (filter.BlockedBy is not null)
                                {
                                    return await EndBlockedAsync(exchange, output, usage).ConfigureAwait(false);
                                }
                                if (rewritten is not null)
                                {
                                    WriteData(output, rewritten);
                                    break;
                                }
                            }
                            WriteEvent(output, sseEvent);
                            break;
                        default:
                            WriteEvent(output, sseEvent);
                            wrote = true;
                            break;
                    }
                }
                reader.AdvanceTo(buffer.Start, buffer.End);
                if (wrote)
                {
                    var flush = await output.FlushAsync(exchange.Token).ConfigureAwait(false);
                    if (flush.IsCompleted || flush.IsCanceled)
                    {
                        return await exchange.FlushStoppedAsync(flush, usage).ConfigureAwait(false);
                    }
                }
                if (result.IsCompleted)
                {
                    break;
                }
            }
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or HttpRequestException)
        {
            return await exchange.FailAsync(e, usage).ConfigureAwait(false);
        }
        finally
        {
            await reader.CompleteAsync().ConfigureAwait(false);
        }
        if (!sawDone)
        {
            ChatLog.StreamEndedEarly(exchange.Logger, exchange.RequestId, exchange.ProviderName);
        }
        return new ChatCompletionResult(StatusCodes.Status200OK, usage, Streamed: true, Truncated: !sawDone, finishReason);
    }

    /// <summary>The policy withholds the rest of the answer: what was sent stays, the stream ends with an error event
    /// (no <c>[DONE]</c>) naming the rule, and the turn is not stored.</summary>
    private static async Task<ChatCompletionResult> EndBlockedAsync(ChatExchange exchange, PipeWriter output, ChatUsage? usage)
    {
        var policy = exchange.Reply!;
        await output.FlushAsync(exchange.Token).ConfigureAwait(false);
        await SseResponse.WriteErrorEventAsync(exchange.Context.Response, Policy.PolicyErrors.OutputBlockedMessage(policy.Policy?.Name ?? "", policy.BlockedBy!),
            Policy.PolicyErrors.BlockedCode(policy.BlockedBy!), exchange.Token, Api.OpenAIErrorTypes.InvalidRequest).ConfigureAwait(false);
        return new ChatCompletionResult(StatusCodes.Status200OK, usage, Streamed: true, Truncated: true);
    }

    private static void WriteData(PipeWriter output, byte[] data)
    {
        output.Write("data: "u8);
        output.Write(data);
        output.Write(EventTerminator);
    }

    /// <summary>The stored turn keeps the usage the upstream reported, for a replay.</summary>
    private static void AddToTurn(AssistantMessageBuilder? builder, ReadOnlySequence<byte> sseEvent)
    {
        if (builder is not null && StreamEventInspector.TryGetData(sseEvent, out var data))
        {
            builder.AddChunk(data);
        }
    }

    /// <summary>Takes the next complete event (without its blank-line terminator) off the front of
    /// <paramref name="buffer"/>. At the end of the stream a final event without terminator counts as complete.
    /// Blank lines between events are skipped.</summary>
    private static bool TryReadEvent(ref ReadOnlySequence<byte> buffer, bool isFinal, out ReadOnlySequence<byte> sseEvent)
    {
        var reader = new SequenceReader<byte>(buffer);
        var eventStart = reader.Position;
        var eventEmpty = true;
        while (true)
        {
            var lineStart = reader.Position;
            if (!reader.TryReadTo(out ReadOnlySequence<byte> line, (byte)'\n'))
            {
                break;
            }
            var blank = line.IsEmpty || (line.Length == 1 && line.FirstSpan[0] == (byte)'\r');
            if (!blank)
            {
                eventEmpty = false;
                continue;
            }
            if (eventEmpty)
            {
                eventStart = reader.Position;
                continue;
            }
            sseEvent = buffer.Slice(eventStart, lineStart);
            buffer = buffer.Slice(reader.Position);
            return true;
        }
        buffer = buffer.Slice(eventStart);
        if (isFinal && !buffer.IsEmpty && !IsWhitespace(buffer))
        {
            sseEvent = buffer;
            buffer = buffer.Slice(buffer.End);
            return true;
        }
        sseEvent = default;
        return false;
    }

    private static void WriteEvent(PipeWriter output, ReadOnlySequence<byte> sseEvent)
    {
        // Strip one trailing newline so the event is terminated by exactly one blank line.
        if (sseEvent.Length > 0 && sseEvent.Slice(sseEvent.Length - 1).FirstSpan[0] == (byte)'\n')
        {
            sseEvent = sseEvent.Slice(0, sseEvent.Length - 1);
        }
        foreach (var segment in sseEvent)
        {
            output.Write(segment.Span);
        }
        output.Write(EventTerminator);
    }

    private static bool IsWhitespace(ReadOnlySequence<byte> buffer)
    {
        foreach (var segment in buffer)
        {
            if (segment.Span.IndexOfAnyExcept(" \t\r\n"u8) >= 0)
            {
                return false;
            }
        }
        return true;
    }
}
