using System.Globalization;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Parley.GrainInterfaces.Conversations;
using Parley.Runtime;
using Parley.Silo.Api;
using Parley.Silo.Cache;
using Parley.Silo.Quotas;
using Parley.Silo.Providers;

namespace Parley.Silo.Chat;

/// <summary>One chat completion in flight: the client's request, the upstream call's cancellation (client gone, or the
/// provider's timeout, re-armed before every read), and the conversation turn to store.</summary>
internal sealed class ChatExchange : IDisposable
{
    /// <summary>Logged when the client went away before the answer was complete (nginx's convention).</summary>
    public const int ClientClosedRequest = 499;

    private readonly CancellationTokenSource _timeout;
    private readonly CancellationTokenSource _linked;
    private readonly CancellationToken _shutdownGraceExpired;

    public ChatExchange(HttpContext context, string requestId, in ChatRequest request, string userId,
        IReadOnlyList<ChatMessageRecord>? newMessages, IGrainFactory grainFactory, TimeProvider timeProvider, CancellationToken shutdownGraceExpired, ILogger logger)
    {
        Context = context;
        RequestId = requestId;
        Model = request.Model;
        Stream = request.Stream;
        ClientIncludeUsage = request.ClientIncludeUsage;
        ConversationId = request.ConversationId;
        UserId = userId;
        NewMessages = newMessages;
        GrainFactory = grainFactory;
        Logger = logger;
        _timeout = new CancellationTokenSource(Timeout.InfiniteTimeSpan, timeProvider);
        _shutdownGraceExpired = shutdownGraceExpired;
        _linked = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, _timeout.Token, shutdownGraceExpired);
    }

    public HttpContext Context { get; }
    public string RequestId { get; }
    public CatalogModel Model { get; }
    public bool Stream { get; }
    public bool ClientIncludeUsage { get; }
    public string? ConversationId { get; }
    public string UserId { get; }
    public IReadOnlyList<ChatMessageRecord>? NewMessages { get; }
    public IGrainFactory GrainFactory { get; }
    public ILogger Logger { get; }

    /// <summary>The prompt's token count and, for a conversation, how its context was compressed.</summary>
    public PromptInfo Prompt { get; init; }

    /// <summary>The admission of this call against the caller's quotas, settled after the relay.</summary>
    public QuotaDecision Quota { get; init; } = QuotaDecision.Unlimited;

    /// <summary>What the call may cost in tokens (prompt plus reply allowance): upstream keys are paced by it.</summary>
    public int TokenCost { get; init; }

    /// <summary>Content chunks relayed so far: what a stream cut before its usage chunk is settled by.</summary>
    public int StreamedChunks { get; set; }

    /// <summary>The answer comes from the response cache.</summary>
    public bool CacheHit { get; private set; }

    public void MarkCacheHit()
    {
        CacheHit = true;
        ResponseCacheHeaders.Set(Context.Response, hit: true);
    }

    /// <summary>Cancelled when the client disconnects, the armed timeout elapses or a shutdown's grace period ends.</summary>
    public CancellationToken Token => _linked.Token;

    public bool ClientGone => Context.RequestAborted.IsCancellationRequested;

    /// <summary>Gives the upstream one more <see cref="IChatProvider.Timeout"/> to produce its next bytes.</summary>
    public void ArmTimeout() => _timeout.CancelAfter(Model.Provider.Timeout);

    public void DisarmTimeout() => _timeout.CancelAfter(Timeout.InfiniteTimeSpan);

    /// <summary>Stores the completed turn before the client sees the end of the answer, so the client's next request
    /// always finds it. False only if storing failed (a vanished conversation is logged, not a failure).</summary>
    public async Task<bool> StoreTurnAsync(ChatMessageRecord assistantMessage)
    {
        var conversationId = ConversationId!;
        try
        {
            var stored = await GrainFactory.GetGrain<IConversationGrain>(conversationId)
                .AppendTurnAsync(UserId, NewMessages!, assistantMessage).ConfigureAwait(false);
            if (!stored)
            {
                ChatLog.ConversationGone(Logger, RequestId, conversationId);
            }
            return true;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            ChatLog.ConversationAppendFailed(Logger, RequestId, conversationId, e);
            return false;
        }
    }

    /// <summary>Ends the exchange after an exception from the upstream or the client: nothing to do if the client is
    /// gone; an aborted connection if the answer had started (so the client sees the truncation rather than a
    /// well-formed but incomplete answer); otherwise 504 for a timeout and 502 for a broken upstream.</summary>
    public async Task<ChatCompletionResult> FailAsync(Exception exception, ChatUsage? usage = null)
    {
        if (ClientGone)
        {
            ChatLog.ClientDisconnected(Logger, RequestId);
            return new ChatCompletionResult(ClientClosedRequest, usage, Stream, Truncated: true);
        }
        var timedOut = exception is OperationCanceledException;
        if (Context.Response.HasStarted)
        {
            var reason = _shutdownGraceExpired.IsCancellationRequested ? "shutdown grace period over" : timedOut ? "timeout" : exception.GetType().Name;
            ChatLog.ResponseCut(Logger, RequestId, Model.ProviderName, reason, timedOut ? null : exception);
            await EndTruncatedAsync(reason).ConfigureAwait(false);
            return new ChatCompletionResult(StatusCodes.Status200OK, usage, Stream, Truncated: true);
        }
        // Clear drops headers too; the Parley ones still describe this answer.
        Context.Response.Clear();
        SetParleyHeaders();
        if (_shutdownGraceExpired.IsCancellationRequested)
        {
            // Another silo can take the request at once.
            await ApiErrors.WriteAsync(Context, StatusCodes.Status503ServiceUnavailable, "The silo is shutting down; retry the request.",
                OpenAIErrorTypes.Server, "silo_shutting_down").ConfigureAwait(false);
            return new ChatCompletionResult(StatusCodes.Status503ServiceUnavailable, usage, Stream, Truncated: false);
        }
        if (timedOut)
        {
            ChatLog.UpstreamTimedOut(Logger, RequestId, Model.ProviderName, Model.Provider.Timeout);
            await UpstreamErrors.WriteTimeoutAsync(Context, Model).ConfigureAwait(false);
            return new ChatCompletionResult(StatusCodes.Status504GatewayTimeout, usage, Stream, Truncated: false);
        }
        if (exception is HttpRequestException { HttpRequestError: var error } && error != HttpRequestError.ResponseEnded)
        {
            ChatLog.UpstreamUnreachable(Logger, RequestId, Model.ProviderName, error, exception);
            await UpstreamErrors.WriteUnreachableAsync(Context, Model).ConfigureAwait(false);
        }
        else
        {
            ChatLog.ResponseCut(Logger, RequestId, Model.ProviderName, exception.GetType().Name, exception);
            await UpstreamErrors.WriteBrokenResponseAsync(Context, Model).ConfigureAwait(false);
        }
        return new ChatCompletionResult(StatusCodes.Status502BadGateway, usage, Stream, Truncated: false);
    }

    /// <summary>Ends an answer that had already started. A stream ends with an OpenAI-style error event and without
    /// <c>[DONE]</c>, so SDKs report the failure and the events before it are kept; a JSON body cannot be ended
    /// meaningfully, so its connection is aborted.</summary>
    private async Task EndTruncatedAsync(string reason)
    {
        if (!SseResponse.IsEventStream(Context.Response.ContentType))
        {
            Context.Abort();
            return;
        }
        var message = $"The upstream provider '{Model.ProviderName}' stream was cut before it finished ({reason}).";
        try
        {
            await SseResponse.WriteErrorEventAsync(Context.Response, message, ChatErrors.UpstreamStreamCutCode, Context.RequestAborted).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or OperationCanceledException)
        {
            Context.Abort();
        }
    }

    /// <summary>Sets the headers every answer to a validated request carries.</summary>
    public void SetParleyHeaders()
    {
        var headers = Context.Response.Headers;
        headers[ParleyHeaders.Model] = Model.Id;
        headers[ParleyHeaders.Provider] = Model.ProviderName;
        if (ConversationId is not null)
        {
            headers[ConversationReference.ResponseHeaderName] = ConversationId;
        }
        headers[RequestIds.HeaderName] = RequestId;
        ResponseCacheHeaders.Set(Context.Response, CacheHit);
        QuotaResponses.SetHeaders(headers, Quota);
        headers[ParleyHeaders.PromptTokens] = Prompt.PromptTokens.ToString(CultureInfo.InvariantCulture);
        if (Prompt.Estimated)
        {
            headers[ParleyHeaders.PromptTokensEstimated] = "true";
        }
        if (Prompt.DroppedMessages is { } dropped)
        {
            headers[ParleyHeaders.ContextDropped] = dropped.ToString(CultureInfo.InvariantCulture);
            headers[ParleyHeaders.ContextSummary] = Prompt.SummaryUsed ? "used" : "none";
        }
    }

    public void Dispose()
    {
        _linked.Dispose();
        _timeout.Dispose();
    }
}

internal static class ParleyHeaders
{
    public const string Model = "x-parley-model";
    public const string Provider = "x-parley-provider";

    /// <summary>The prompt tokens Parley counted (what the upstream's usage.prompt_tokens will say for text messages).</summary>
    public const string PromptTokens = "x-parley-prompt-tokens";

    /// <summary>"true" when the count is an estimate (a model counted with a borrowed encoding).</summary>
    public const string PromptTokensEstimated = "x-parley-prompt-tokens-estimated";

    /// <summary>Conversation turns only: how many of the oldest unsummarised messages were left out to fit the budget.</summary>
    public const string ContextDropped = "x-parley-context-dropped";

    /// <summary>Conversation turns only: "used" when the rolling summary of older turns is in the prompt, else "none".</summary>
    public const string ContextSummary = "x-parley-context-summary";
}
