using System.Globalization;
using System.IO.Pipelines;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Parley.GrainInterfaces.Conversations;
using Parley.Silo.Api;
using Parley.Silo.Audit;
using Parley.Silo.Cluster;
using Parley.Silo.Cache;
using Parley.Silo.Quotas;
using Parley.Silo.Providers;
using Parley.Silo.Routing;
using Parley.ServiceDefaults.Logging;

namespace Parley.Silo.Chat;

/// <summary>One chat completion in flight: the client's request, the upstream call's cancellation (client gone, the
/// deployment's stall timeout re-armed before every read, the whole call's total timeout, the shutdown's grace), where
/// it was routed, and the conversation turn to store.</summary>
internal sealed class ChatExchange : IDisposable
{
    /// <summary>Logged when the client went away before the answer was complete (nginx's convention).</summary>
    public const int ClientClosedRequest = 499;

    private readonly CancellationTokenSource _timeout;
    private readonly CancellationTokenSource _total;
    private readonly CancellationTokenSource _linked;
    private readonly CancellationToken _shutdownGraceExpired;
    private readonly ClusterCalls _clusterCalls;
    private bool _outputClosed;

    public ChatExchange(HttpContext context, string requestId, in ChatRequest request, string userId, IReadOnlyList<ChatMessageRecord>? newMessages,
        TurnIdentity? turn, IGrainFactory grainFactory, ClusterCalls clusterCalls, TimeProvider timeProvider, CancellationToken shutdownGraceExpired,
        ILogger logger)
    {
        Context = context;
        RequestId = requestId;
        Model = request.Model;
        Stream = request.Stream;
        ClientIncludeUsage = request.ClientIncludeUsage;
        Temperature = request.Temperature;
        ConversationId = request.ConversationId;
        UserId = userId;
        NewMessages = newMessages;
        Turn = turn;
        GrainFactory = grainFactory;
        _clusterCalls = clusterCalls;
        Logger = logger;
        _timeout = new CancellationTokenSource(Timeout.InfiniteTimeSpan, timeProvider);
        _total = new CancellationTokenSource(Timeout.InfiniteTimeSpan, timeProvider);
        _shutdownGraceExpired = shutdownGraceExpired;
        _linked = CancellationTokenSource.CreateLinkedTokenSource([context.RequestAborted, _timeout.Token, _total.Token, shutdownGraceExpired]);
    }

    public HttpContext Context { get; }
    public string RequestId { get; }
    /// <summary>The model asked for (after the request rules), then the one that answered (a content-policy fallback).</summary>
    public CatalogModel Model { get; private set; }
    public bool Stream { get; }
    public bool ClientIncludeUsage { get; }
    /// <summary>The sampling temperature the client sent (<see cref="ChatRequest.Temperature"/>).</summary>
    public double Temperature { get; }
    public string? ConversationId { get; }
    public string UserId { get; }
    public IReadOnlyList<ChatMessageRecord>? NewMessages { get; }

    /// <summary>The conversation turn this request is (null without a conversation).</summary>
    public TurnIdentity? Turn { get; }

    /// <summary>The turn reached the transcript (appended now, or found stored by an earlier attempt).</summary>
    public bool TurnStored { get; private set; }

    public IGrainFactory GrainFactory { get; }
    public ILogger Logger { get; }

    /// <summary>The prompt's token count and, for a conversation, how its context was compressed.</summary>
    public PromptInfo Prompt { get; init; }

    /// <summary>The admission of this call against the caller's quotas, settled after the relay.</summary>
    public QuotaDecision Quota { get; init; } = QuotaDecision.Unlimited;

    /// <summary>What the call may cost in tokens (prompt plus reply allowance): upstream keys are paced by it.</summary>
    public int TokenCost { get; init; }

    /// <summary>The window a deployment needs for the prompt and its reply limit (0: unknown, the upstream judges).</summary>
    public int RequiredWindow { get; init; }

    /// <summary>Content chunks relayed so far: what a stream cut before its usage chunk is settled by.</summary>
    public int StreamedChunks { get; set; }

    /// <summary><see cref="System.Diagnostics.Stopwatch.GetTimestamp"/> when the first content chunk was relayed (0 before).</summary>
    public long FirstChunkTimestamp { get; set; }

    /// <summary>The reply's policy filter: placeholders restored, output rules applied (null: the reply passes untouched).</summary>
    public Policy.ReplyPolicy? Reply { get; init; }

    /// <summary>The effective PII and keyword policy (null: none applied).</summary>
    public string? PolicyName { get; init; }

    /// <summary>Values the policy masked or pseudonymised in this request's new messages.</summary>
    public int PolicyRedacted { get; init; }

    /// <summary>Rules that flagged something in the request (and, for a JSON answer, in the reply).</summary>
    public IReadOnlyList<string>? PolicyFlagged { get; set; }

    /// <summary>This request or its conversation carried redacted data: its answer is never cached.</summary>
    public bool CarriesRedactedData => Prompt.CarriesRedactedData || PolicyRedacted > 0;

    /// <summary>The request rule that chose <see cref="Model"/>, if one did.</summary>
    public string? Rule { get; init; }

    /// <summary>The deployment that answered (or was tried last); null before routing and for a cache hit.</summary>
    public Deployment? Deployment { get; private set; }

    /// <summary>Upstream attempts the call took over every deployment.</summary>
    public int Attempts { get; private set; }

    /// <summary>The provider named in logs and errors: the deployment's, else the model's first.</summary>
    public string ProviderName => (Deployment ?? Model.Primary).Provider.Name;

    /// <summary>Records where routing took the call, for the headers and logs of whatever answer follows.</summary>
    public void Routed(RoutedCall call)
    {
        Model = call.Model;
        Deployment = call.Deployment;
        Attempts = call.Attempts;
        SetParleyHeaders();
    }

    /// <summary>The answer comes from the response cache.</summary>
    public bool CacheHit { get; private set; }

    public void MarkCacheHit()
    {
        CacheHit = true;
        ResponseCacheHeaders.Set(Context.Response, hit: true);
    }

    /// <summary>Cancelled when the client disconnects, the armed timeout elapses or a shutdown's grace period ends.</summary>
    public CancellationToken Token => _linked.Token;

    /// <summary>The client left: the connection said so, or a write found the response's output closed (which can come
    /// before the connection's abort is signalled).</summary>
    public bool ClientGone => _outputClosed || Context.RequestAborted.IsCancellationRequested;

    /// <summary>Ends a relay whose flush of the response did not go through: completed means the response's output is
    /// closed, so the client is gone whatever <see cref="HttpContext.RequestAborted"/> says yet; cancelled goes as any
    /// cancellation does.</summary>
    public Task<ChatCompletionResult> FlushStoppedAsync(FlushResult flush, ChatUsage? usage)
    {
        _outputClosed |= flush.IsCompleted;
        return FailAsync(new OperationCanceledException(), usage);
    }

    /// <summary>Gives the upstream one more stall timeout to produce its next bytes.</summary>
    public void ArmTimeout() => _timeout.CancelAfter(StallTimeout);

    /// <summary>Starts the bound on the whole call: attempts, backoffs, pacing waits and the relay.</summary>
    public void StartTotalTimeout() => _total.CancelAfter((Deployment ?? Model.Primary).Resilience.TotalTimeout);

    private TimeSpan StallTimeout => (Deployment ?? Model.Primary).Resilience.StallTimeout;

    public void DisarmTimeout() => _timeout.CancelAfter(Timeout.InfiniteTimeSpan);

    /// <summary>Stores the completed turn before the client sees the end of the answer, so an answer the client was
    /// told about is always in the transcript. The append is keyed by the turn, so retrying it through a silo death is
    /// safe. A vanished conversation is logged, not a failure; an earlier attempt of the same turn (a client retry whose
    /// first attempt was stored without being acknowledged) comes back as <see cref="TurnStoreStatus.AlreadyStored"/>.</summary>
    public async Task<TurnStoreOutcome> StoreTurnAsync(ChatMessageRecord assistantMessage, TurnReply reply)
    {
        var conversationId = ConversationId!;
        var turn = new ConversationTurn(Turn!, NewMessages!, assistantMessage, reply);
        try
        {
            var grain = GrainFactory.GetGrain<IConversationGrain>(conversationId);
            var result = await _clusterCalls.RunAsync(() => grain.AppendTurnAsync(UserId, turn), CancellationToken.None)
                .ConfigureAwait(false);
            switch (result.Status)
            {
                case TurnAppendStatus.ConversationNotFound:
                    ChatLog.ConversationGone(Logger, RequestId, conversationId);
                    return new TurnStoreOutcome(TurnStoreStatus.Stored, null);
                case TurnAppendStatus.AlreadyStored:
                    TurnStored = true;
                    ChatLog.TurnAlreadyStored(Logger, RequestId, conversationId);
                    return new TurnStoreOutcome(TurnStoreStatus.AlreadyStored, result.Stored);
                default:
                    TurnStored = true;
                    return new TurnStoreOutcome(TurnStoreStatus.Stored, null);
            }
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            ChatLog.ConversationAppendFailed(Logger, RequestId, conversationId, RedactedException.Of(e));
            return new TurnStoreOutcome(TurnStoreStatus.Failed, null);
        }
    }

    /// <summary>Ends the exchange after an exception from the upstream or the client: nothing to do if the client is
    /// gone; an aborted connection if the answer had started (so the client sees the truncation rather than a
    /// well-formed but incomplete answer); otherwise 504 for a timeout and 502 for a broken upstream.</summary>
    public async Task<ChatCompletionResult> FailAsync(Exception exception, ChatUsage? usage = null)
    {
        if (ClientGone)
        {
            AuditFeature.Of(Context)?.ClientLeft = true;
            ChatLog.ClientDisconnected(Logger, RequestId);
            return new ChatCompletionResult(ClientClosedRequest, usage, Stream, Truncated: true);
        }
        var timedOut = exception is OperationCanceledException or Polly.Timeout.TimeoutRejectedException;
        if (Context.Response.HasStarted)
        {
            var reason = _shutdownGraceExpired.IsCancellationRequested ? "shutdown grace period over" : timedOut ? "timeout" : exception.GetType().Name;
            ChatLog.ResponseCut(Logger, RequestId, ProviderName, reason, timedOut ? null : RedactedException.Of(exception));
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
            ChatLog.UpstreamTimedOut(Logger, RequestId, ProviderName);
            await UpstreamErrors.WriteTimeoutAsync(Context, ProviderName).ConfigureAwait(false);
            return new ChatCompletionResult(StatusCodes.Status504GatewayTimeout, usage, Stream, Truncated: false);
        }
        if (exception is HttpRequestException { HttpRequestError: var error } && error != HttpRequestError.ResponseEnded)
        {
            ChatLog.UpstreamUnreachable(Logger, RequestId, ProviderName, error, exception);
            await UpstreamErrors.WriteUnreachableAsync(Context, ProviderName).ConfigureAwait(false);
        }
        else
        {
            ChatLog.ResponseCut(Logger, RequestId, ProviderName, exception.GetType().Name, RedactedException.Of(exception));
            await UpstreamErrors.WriteBrokenResponseAsync(Context, ProviderName).ConfigureAwait(false);
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
        var message = $"The upstream provider '{ProviderName}' stream was cut before it finished ({reason}).";
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
        headers[ParleyHeaders.Provider] = ProviderName;
        if (Deployment is { } deployment)
        {
            headers[ParleyHeaders.UpstreamModel] = deployment.Model.Name;
            if (deployment.Region is { } region)
            {
                headers[ParleyHeaders.Region] = region;
            }
        }
        if (Attempts > 0)
        {
            headers[ParleyHeaders.Attempts] = Attempts.ToString(CultureInfo.InvariantCulture);
        }
        if (Rule is not null)
        {
            headers[ParleyHeaders.Route] = Rule;
        }
        if (ConversationId is not null)
        {
            headers[ConversationReference.ResponseHeaderName] = ConversationId;
        }
        headers[RequestIds.HeaderName] = RequestId;
        Policy.ChatPolicy.SetHeaders(headers, PolicyName, PolicyRedacted, PolicyFlagged);
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
        _total.Dispose();
    }
}

internal enum TurnStoreStatus
{
    Stored,

    /// <summary>An earlier attempt of this turn is in the transcript: its answer, not this one, is the turn's.</summary>
    AlreadyStored,

    Failed,
}

/// <param name="Earlier">For <see cref="TurnStoreStatus.AlreadyStored"/>: the stored turn (null if its reply was deleted since).</param>
internal readonly record struct TurnStoreOutcome(TurnStoreStatus Status, StoredTurn? Earlier);

internal static class ParleyHeaders
{
    public const string Model = "x-parley-model";
    public const string Provider = "x-parley-provider";

    /// <summary>The model name the answering deployment was called with.</summary>
    public const string UpstreamModel = "x-parley-upstream-model";

    /// <summary>The answering provider's region, when configured.</summary>
    public const string Region = "x-parley-region";

    /// <summary>Upstream attempts over every deployment tried (1 when the first attempt answered).</summary>
    public const string Attempts = "x-parley-attempts";

    /// <summary>The request rule that picked the model.</summary>
    public const string Route = "x-parley-route";

    /// <summary>The prompt tokens Parley counted (what the upstream's usage.prompt_tokens will say for text messages).</summary>
    public const string PromptTokens = "x-parley-prompt-tokens";

    /// <summary>"true" when the count is an estimate (a model counted with a borrowed encoding).</summary>
    public const string PromptTokensEstimated = "x-parley-prompt-tokens-estimated";

    /// <summary>Conversation turns only: how many of the oldest unsummarised messages were left out to fit the budget.</summary>
    public const string ContextDropped = "x-parley-context-dropped";

    /// <summary>Conversation turns only: "used" when the rolling summary of older turns is in the prompt, else "none".</summary>
    public const string ContextSummary = "x-parley-context-summary";
}
