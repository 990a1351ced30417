using System.Buffers;
using System.IO.Pipelines;
using System.Text.Json;
using System.Runtime.InteropServices;
using Microsoft.AspNetCore.Http;
using Parley.GrainInterfaces.Conversations;

namespace Parley.Silo.Chat;

/// <summary>Relays a non-streamed completion. Without a conversation or a policy on the reply the body is copied through
/// as it arrives (its usage read on the way); otherwise it is read whole first, because the assistant message must be
/// stored before the client sees the answer, and the policy rewrites it (placeholders restored, output rules).</summary>
internal static class JsonRelay
{
    private const string DefaultContentType = "application/json";
    // A non-streamed completion is a few kilobytes; this only bounds a misbehaving upstream.
    private const int MaxStoredResponseBytes = 16 * 1024 * 1024;

    public static async Task<ChatCompletionResult> CopyThroughAsync(ChatExchange exchange, Stream upstreamBody, string? contentType, long? contentLength)
    {
        var response = exchange.Context.Response;
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = contentType ?? DefaultContentType;
        // The body passes through unchanged, so the upstream's length holds; it spares the client chunked framing, and
        // a body cut short then surfaces as an aborted response rather than a complete-looking one.
        response.ContentLength = contentLength;
        var reader = PipeReader.Create(upstreamBody);
        var output = response.BodyWriter;
        var scanner = new IncrementalUsageScanner();
        long alreadyWritten = 0;
        try
        {
            while (true)
            {
                exchange.ArmTimeout();
                var result = await reader.ReadAsync(exchange.Token).ConfigureAwait(false);
                var buffer = result.Buffer;
                foreach (var segment in buffer.Slice(alreadyWritten))
                {
                    output.Write(segment.Span);
                }
                // The scanner may leave an incomplete token behind; it stays in the pipe (already relayed) until the
                // rest of it arrives.
                var consumed = scanner.Feed(buffer, result.IsCompleted);
                reader.AdvanceTo(buffer.GetPosition(consumed), buffer.End);
                alreadyWritten = buffer.Length - consumed;
                var flush = await output.FlushAsync(exchange.Token).ConfigureAwait(false);
                if (flush.IsCompleted || flush.IsCanceled)
                {
                    return await exchange.FlushStoppedAsync(flush, scanner.Usage).ConfigureAwait(false);
                }
                if (result.IsCompleted)
                {
                    return new ChatCompletionResult(StatusCodes.Status200OK, scanner.Usage, Streamed: false, Truncated: false, scanner.FinishReason);
                }
            }
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or HttpRequestException)
        {
            return await exchange.FailAsync(e, scanner.Usage).ConfigureAwait(false);
        }
        finally
        {
            await reader.CompleteAsync().ConfigureAwait(false);
        }
    }

    public static async Task<ChatCompletionResult> StoreAndRelayAsync(ChatExchange exchange, Stream upstreamBody, string? contentType)
    {
        using var body = new PooledBufferWriter(8 * 1024);
        try
        {
            while (true)
            {
                if (body.WrittenCount > MaxStoredResponseBytes)
                {
                    return await exchange.FailAsync(new IOException("The upstream response is too large to store in a conversation.")).ConfigureAwait(false);
                }
                exchange.ArmTimeout();
                var read = await upstreamBody.ReadAsync(body.GetMemory(), exchange.Token).ConfigureAwait(false);
                if (read == 0)
                {
                    break;
                }
                body.Advance(read);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or HttpRequestException)
        {
            return await exchange.FailAsync(e).ConfigureAwait(false);
        }
        exchange.DisarmTimeout();
        var (assistant, usage, reply) = ReadCompletion(body.WrittenMemory);
        var policy = exchange.Reply;
        byte[]? filtered = null;
        if (policy is not null)
        {
            // The client's version: placeholders restored, output rules applied. A withheld answer is not stored.
            filtered = policy.RewriteCompletion(body.WrittenSpan);
            if (policy.BlockedBy is { } blocked)
            {
                exchange.Context.Response.Headers[Policy.PolicyHeaders.Rule] = blocked.Id;
                await Policy.PolicyErrors.OutputBlocked(policy.Policy?.Name ?? "", blocked).WriteAsync(exchange.Context).ConfigureAwait(false);
                return new ChatCompletionResult(StatusCodes.Status400BadRequest, usage, Streamed: false, Truncated: false);
            }
            var outputFlags = policy.Hits.Keys.Where(r => r.OutputAction == Parley.Policy.Rules.PolicyAction.Flag).Select(r => r.Id);
            exchange.PolicyFlagged = [.. (exchange.PolicyFlagged ?? []).Union(outputFlags)];
            Policy.ChatPolicy.SetHeaders(exchange.Context.Response.Headers, exchange.PolicyName, exchange.PolicyRedacted, exchange.PolicyFlagged);
        }
        if (exchange.ConversationId is null)
        {
            // Filtered only, nothing to store.
        }
        else if (assistant is null)
        {
            ChatLog.NoAssistantMessage(exchange.Logger, exchange.RequestId, exchange.ProviderName, exchange.ConversationId!);
        }
        else
        {
            // The transcript keeps the upstream's words (placeholders, never the client's values) with output rules applied.
            var stored = await exchange.StoreTurnAsync(policy?.ForStorage(assistant) ?? assistant, reply!).ConfigureAwait(false);
            if (stored.Status == TurnStoreStatus.Failed)
            {
                // Unavailable, not broken: the turn is not stored and the client may retry it (with its key, safely).
                exchange.Context.Response.Headers.RetryAfter = "1";
                await Api.ApiErrors.WriteAsync(exchange.Context, StatusCodes.Status503ServiceUnavailable,
                    $"The completion could not be stored in conversation '{exchange.ConversationId}'; retry the request.",
                    Api.OpenAIErrorTypes.Server, "conversation_store_failed").ConfigureAwait(false);
                return new ChatCompletionResult(StatusCodes.Status503ServiceUnavailable, usage, Streamed: false, Truncated: false);
            }
            if (stored is { Status: TurnStoreStatus.AlreadyStored, Earlier: { } earlier })
            {
                // An earlier attempt of this turn stands: the client gets that answer, the one the transcript keeps.
                if (policy?.Vault is { } vault)
                {
                    earlier = earlier with { Assistant = earlier.Assistant with { Utf8Json = Policy.ReplyPolicy.RestoreStored(earlier.Assistant.Utf8Json, vault, int.MaxValue) } };
                }
                await TurnReplay.WriteAsync(exchange.Context, earlier, stream: false, includeUsage: false, exchange.Model.Id).ConfigureAwait(false);
                return new ChatCompletionResult(StatusCodes.Status200OK, usage, Streamed: false, Truncated: false, FinishReasons.Of(reply?.FinishReason));
            }
        }
        var response = exchange.Context.Response;
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = contentType ?? DefaultContentType;
        var answer = filtered is null ? body.WrittenMemory : filtered;
        response.ContentLength = answer.Length;
        await response.Body.WriteAsync(answer, exchange.Context.RequestAborted).ConfigureAwait(false);
        return new ChatCompletionResult(StatusCodes.Status200OK, usage, Streamed: false, Truncated: false, FinishReasons.Of(reply?.FinishReason));
    }

    /// <summary>choices[0].message, kept verbatim, the usage, and how the completion was answered.</summary>
    private static (ChatMessageRecord? Assistant, ChatUsage? Usage, TurnReply? Reply) ReadCompletion(ReadOnlyMemory<byte> json)
    {
        try
        {
            using var document = JsonDocument.Parse(json);
            var root = document.RootElement;
            ChatMessageRecord? assistant = null;
            ChatUsage? usage = null;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return (null, null, null);
            }
            if (root.TryGetProperty("choices"u8, out var choices) && choices.ValueKind == JsonValueKind.Array && choices.GetArrayLength() > 0
                && choices[0].ValueKind == JsonValueKind.Object
                && choices[0].TryGetProperty("message"u8, out var message) && message.ValueKind == JsonValueKind.Object)
            {
                var role = message.TryGetProperty("role"u8, out var r) && r.ValueKind == JsonValueKind.String ? r.GetString()! : "assistant";
                assistant = new ChatMessageRecord(role, JsonMarshal.GetRawUtf8Value(message).ToArray());
            }
            if (root.TryGetProperty("usage"u8, out var usageElement) && usageElement.ValueKind == JsonValueKind.Object)
            {
                usage = new ChatUsage(Int(usageElement, "prompt_tokens"u8), Int(usageElement, "completion_tokens"u8), Int(usageElement, "total_tokens"u8));
            }
            return (assistant, usage, TurnReplies.FromCompletion(root));
        }
        catch (JsonException)
        {
            return (null, null, null);
        }
    }

    private static int Int(JsonElement element, ReadOnlySpan<byte> name)
        => element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out var number) ? number : 0;
}
