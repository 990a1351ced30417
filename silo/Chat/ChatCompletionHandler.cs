using System.Runtime.InteropServices;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Parley.GrainInterfaces.Conversations;
using Parley.Runtime;
using Parley.Silo.Api;
using Parley.Silo.Auth;
using Parley.Silo.Cache;
using Parley.Silo.Conversations;
using Parley.Silo.Health;
using Parley.Silo.Providers;
using Parley.Silo.Quotas;

namespace Parley.Silo.Chat;

/// <summary><c>POST /v1/chat/completions</c>: validate, continue the named conversation, rewrite for the upstream,
/// then relay the upstream's answer (streamed or not) and store the turn.</summary>
internal sealed class ChatCompletionHandler(
    ModelCatalog catalog,
    ResponseCache responseCache,
    QuotaGate quotaGate,
    IOptions<ChatLimitsOptions> limits,
    IOptions<ConversationOptions> conversationOptions,
    IOptions<QuotaOptions> quotaOptions,
    IGrainFactory grainFactory,
    TimeProvider timeProvider,
    SiloLifecycleState lifecycle,
    ILogger<ChatCompletionHandler> logger)
{
    // Room for the rewritten fields (model name, stream_options) on top of the client's body.
    private const int RewriteHeadroomBytes = 256;
    private const string JsonContentType = "application/json";

    public async Task HandleAsync(HttpContext context)
    {
        var requestId = RequestIds.Resolve(context);
        // Every answer says whether it came from the cache, refusals included (the exchange sets it again after a reset).
        ResponseCacheHeaders.Set(context.Response, hit: false);
        ChatExchange? exchange;
        PooledBufferWriter? upstreamBody;
        try
        {
            (exchange, upstreamBody) = await PrepareAsync(context, requestId).ConfigureAwait(false);
        }
        catch (BadHttpRequestException e)
        {
            await ApiErrors.WriteAsync(context, e.StatusCode, "The request body could not be read.", OpenAIErrorTypes.InvalidRequest).ConfigureAwait(false);
            return;
        }
        catch (Exception e) when (e is OperationCanceledException or IOException && context.RequestAborted.IsCancellationRequested)
        {
            ChatLog.ClientDisconnected(logger, requestId);
            return;
        }
        if (exchange is null || upstreamBody is null)
        {
            return;
        }
        using (exchange)
        using (upstreamBody)
        {
            var result = await ForwardAsync(exchange, upstreamBody.WrittenMemory).ConfigureAwait(false);
            await SettleQuotaAsync(exchange, result).ConfigureAwait(false);
            ChatLog.Completed(logger, requestId, exchange.Model.Id, exchange.Model.ProviderName, result.Status, result.Streamed, result.Truncated,
                result.Usage?.PromptTokens, result.Usage?.CompletionTokens, result.Usage?.TotalTokens);
        }
    }

    /// <summary>Everything before the upstream call. Returns nulls once an error answer has been written. The client's
    /// body is released before the (possibly long) upstream exchange; only the rewritten body is kept.</summary>
    private async Task<(ChatExchange?, PooledBufferWriter?)> PrepareAsync(HttpContext context, string requestId)
    {
        using var body = await JsonBodyReader.ReadObjectAsync(context, limits.Value.MaxRequestBodyBytes, allowEmpty: false).ConfigureAwait(false);
        if (body.Error is { } bodyError)
        {
            await bodyError.WriteAsync(context).ConfigureAwait(false);
            return default;
        }
        var root = body.Root!.Value;
        if (!ChatRequestValidator.TryValidate(root, catalog, context.Request.Headers, out var request, out var error))
        {
            await error!.WriteAsync(context).ConfigureAwait(false);
            return default;
        }
        var caller = context.GetCaller();
        var userId = caller.UserId;
        var (prompt, conversation, planError) = await PromptPlanner.PlanAsync(request, userId, grainFactory, conversationOptions.Value).ConfigureAwait(false);
        if (planError is not null)
        {
            await planError.WriteAsync(context).ConfigureAwait(false);
            return default;
        }
        var quota = await quotaGate.AdmitAsync(caller, request.Model.Id, prompt.PromptTokens, request.MaxReplyTokens, context.RequestAborted).ConfigureAwait(false);
        if (quota.Refused)
        {
            QuotaResponses.SetHeaders(context.Response.Headers, quota);
            await QuotaResponses.WriteRefusalAsync(context, quota).ConfigureAwait(false);
            return default;
        }
        var newMessages = request.ConversationId is null ? null : CopyMessages(request.Messages);
        var exchange = new ChatExchange(context, requestId, request, userId, newMessages, grainFactory, timeProvider, lifecycle.GraceExpired, logger)
        {
            Prompt = prompt,
            Quota = quota,
            TokenCost = (int)Math.Min((long)prompt.PromptTokens + (request.MaxReplyTokens ?? quotaOptions.Value.DefaultReplyTokens), int.MaxValue),
        };
        exchange.SetParleyHeaders();
        var upstreamBody = new PooledBufferWriter(body.Length + RewriteHeadroomBytes + StoredLength(conversation));
        ChatRequestRewriter.Write(upstreamBody, root, request, conversation);
        return (exchange, upstreamBody);
    }

    /// <summary>Answers from the response cache when it holds this exact request, else calls the upstream (recording
    /// its answer for the cache when the request is cacheable).</summary>
    private async Task<ChatCompletionResult> ForwardAsync(ChatExchange exchange, ReadOnlyMemory<byte> body)
    {
        var cacheRequest = responseCache.Begin(exchange.Context.Request.Headers, body.Span, exchange.UserId, exchange.Prompt.CarriesRedactedData);
        if (cacheRequest is not null && await responseCache.LookupAsync(cacheRequest, exchange.Token).ConfigureAwait(false) is { } hit)
        {
            exchange.MarkCacheHit();
            // Replayed through the same relay as a live answer, so a hit has the same shape and stores the same turn.
            await using var cached = hit.OpenRead();
            return await RelayAsync(exchange, cached, hit.ContentType, hit.Body.Length).ConfigureAwait(false);
        }

        UpstreamCall call;
        exchange.ArmTimeout();
        try
        {
            call = await exchange.Model.Provider.SendChatCompletionAsync(body, exchange.Context.Request.Headers, exchange.TokenCost, exchange.Token).ConfigureAwait(false);
        }
        catch (UpstreamCapacityException e)
        {
            exchange.DisarmTimeout();
            await UpstreamErrors.WriteCapacityAsync(exchange.Context, exchange.Model, e.RetryAfter).ConfigureAwait(false);
            return new ChatCompletionResult(StatusCodes.Status429TooManyRequests, null, exchange.Stream, Truncated: false);
        }
        catch (Exception e) when (e is OperationCanceledException or HttpRequestException or IOException)
        {
            return await exchange.FailAsync(e).ConfigureAwait(false);
        }
        using (call)
        {
            var upstream = call.Response;
            if (!upstream.IsSuccessStatusCode)
            {
                try
                {
                    var status = await UpstreamErrors.WriteAsync(exchange.Context, upstream, exchange.Model, exchange.Token).ConfigureAwait(false);
                    ChatLog.UpstreamRefused(exchange.Logger, exchange.RequestId, exchange.Model.ProviderName, (int)upstream.StatusCode, status);
                    return new ChatCompletionResult(status, null, exchange.Stream, Truncated: false);
                }
                catch (OperationCanceledException e)
                {
                    return await exchange.FailAsync(e).ConfigureAwait(false);
                }
            }
            Stream upstreamBody;
            try
            {
                upstreamBody = await upstream.Content.ReadAsStreamAsync(exchange.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException or HttpRequestException or IOException)
            {
                return await exchange.FailAsync(e).ConfigureAwait(false);
            }
            var contentType = upstream.Content.Headers.ContentType?.ToString();
            if (cacheRequest is null)
            {
                await using (upstreamBody.ConfigureAwait(false))
                {
                    return await RelayAsync(exchange, upstreamBody, contentType, upstream.Content.Headers.ContentLength).ConfigureAwait(false);
                }
            }
            var recording = responseCache.Record(cacheRequest, upstreamBody);
            await using (recording.ConfigureAwait(false))
            {
                var result = await RelayAsync(exchange, recording, contentType, upstream.Content.Headers.ContentLength).ConfigureAwait(false);
                if (result is { Status: StatusCodes.Status200OK, Truncated: false })
                {
                    await responseCache.StoreAsync(cacheRequest, recording, contentType ?? JsonContentType, exchange.Context.RequestAborted).ConfigureAwait(false);
                }
                else
                {
                    // The copy outlives the stream (the relay disposes it); only storing or this releases it.
                    recording.ReleaseRecording();
                }
                return result;
            }
        }
    }

    /// <summary>Replaces the quota reservation by what the call used: the upstream's usage; what was streamed when a
    /// stream died without it (the prompt, and about one token per content chunk); nothing for a cache hit or a call the
    /// upstream never answered.</summary>
    private Task SettleQuotaAsync(ChatExchange exchange, ChatCompletionResult result)
    {
        long input = 0, output = 0;
        if (!exchange.CacheHit && result.Usage is { } usage)
        {
            (input, output) = (usage.PromptTokens, usage.CompletionTokens);
        }
        else if (!exchange.CacheHit && (result.Status == StatusCodes.Status200OK || exchange.StreamedChunks > 0))
        {
            (input, output) = (exchange.Prompt.PromptTokens, exchange.StreamedChunks);
        }
        return quotaGate.SettleAsync(exchange.Quota, input, output);
    }

    private static Task<ChatCompletionResult> RelayAsync(ChatExchange exchange, Stream body, string? contentType, long? contentLength)
    {
        if (SseResponse.IsEventStream(contentType))
        {
            return StreamingRelay.RelayAsync(exchange, body);
        }
        return exchange.ConversationId is null
            ? JsonRelay.CopyThroughAsync(exchange, body, contentType, contentLength)
            : JsonRelay.StoreAndRelayAsync(exchange, body, contentType);
    }

    /// <summary>The client's new messages as they will be stored (verbatim JSON) once the turn completes.</summary>
    private static List<ChatMessageRecord> CopyMessages(JsonElement messages)
    {
        var copies = new List<ChatMessageRecord>(messages.GetArrayLength());
        foreach (var message in messages.EnumerateArray())
        {
            var role = message.GetProperty("role"u8).GetString()!;
            copies.Add(new ChatMessageRecord(role, JsonMarshal.GetRawUtf8Value(message).ToArray()));
        }
        return copies;
    }

    private static int StoredLength(IReadOnlyList<ChatMessageRecord>? conversation)
    {
        if (conversation is null)
        {
            return 0;
        }
        var length = 0;
        foreach (var message in conversation)
        {
            length += message.Utf8Json.Length + 1;
        }
        return length;
    }
}
