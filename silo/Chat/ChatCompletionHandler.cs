using System.Runtime.InteropServices;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Parley.GrainInterfaces.Conversations;
using Parley.Silo.Api;
using Parley.Silo.Audit;
using Parley.Silo.Auth;
using Parley.Silo.Cache;
using Parley.Silo.Cluster;
using Parley.Silo.Conversations;
using Parley.Silo.Health;
using Parley.Silo.Providers;
using Parley.Silo.Quotas;
using Parley.Silo.Providers.Wire;
using Parley.Silo.Routing;
using Parley.Silo.Telemetry;
using Parley.Silo.Policy;
using Parley.Policy.Rules;
using Parley.ServiceDefaults.Logging;

namespace Parley.Silo.Chat;

/// <summary><c>POST /v1/chat/completions</c>: validate, continue the named conversation, apply the request rules, admit
/// against the caller's quotas, rewrite for the upstream, route over the model's deployments, then relay the answer
/// (streamed or not) and store the turn.</summary>
internal sealed class ChatCompletionHandler(
    ModelCatalog catalog,
    UpstreamRouter router,
    ResponseCache responseCache,
    QuotaGate quotaGate,
    IOptions<ChatLimitsOptions> limits,
    IOptions<ConversationOptions> conversationOptions,
    IOptions<QuotaOptions> quotaOptions,
    IGrainFactory grainFactory,
    PromptPlanner promptPlanner,
    ClusterCalls clusterCalls,
    ILocalSiloDetails localSilo,
    TimeProvider timeProvider,
    SiloLifecycleState lifecycle,
    ChatTelemetry telemetry,
    ChatPolicy chatPolicy,
    AuditExcerpt auditExcerpt,
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
        var claim = new TurnClaim();
        try
        {
            await HandleClaimedAsync(context, requestId, claim).ConfigureAwait(false);
        }
        catch (Exception e) when (Failed(claim, e))
        {
            // Not reached: the filter only notes the failure for the request counter; the error handling answers.
        }
        finally
        {
            if (claim is { Conversation: { } conversationId, Turn: { } turn, Stored: false })
            {
                ReleaseTurn(conversationId, turn, requestId);
            }
            Count(context, claim);
        }
    }

    private static bool Failed(TurnClaim claim, Exception exception)
    {
        claim.Failure = ClusterFaults.IsTransient(exception) ? "503" : "500";
        return false;
    }

    /// <summary>One count per request in <c>parley.chat.requests</c>: the model once validated (<c>none</c> before), the
    /// provider that answered (<c>none</c> without an upstream answer), the status the client got (499: it left).</summary>
    private void Count(HttpContext context, TurnClaim claim)
    {
        var model = claim.Model ?? ChatTelemetry.NoProvider;
        var provider = claim.Provider ?? ChatTelemetry.NoProvider;
        if (claim.Failure is { } failure)
        {
            telemetry.Request(model, provider, failure);
            return;
        }
        telemetry.Request(model, provider, claim.Status ?? (context.RequestAborted.IsCancellationRequested && !context.Response.HasStarted
            ? ChatExchange.ClientClosedRequest
            : context.Response.StatusCode));
    }

    private async Task HandleClaimedAsync(HttpContext context, string requestId, TurnClaim claim)
    {
        {
            ChatExchange? exchange;
            PooledBufferWriter? upstreamBody;
            UpstreamBody? routedBody;
            try
            {
                (exchange, upstreamBody, routedBody) = await PrepareAsync(context, requestId, claim).ConfigureAwait(false);
            }
            catch (BadHttpRequestException e)
            {
                await ApiErrors.WriteAsync(context, e.StatusCode, "The request body could not be read.", OpenAIErrorTypes.InvalidRequest).ConfigureAwait(false);
                return;
            }
            catch (Exception e) when (e is OperationCanceledException or IOException && context.RequestAborted.IsCancellationRequested)
            {
                ChatLog.ClientDisconnected(logger, requestId);
                claim.Status = ChatExchange.ClientClosedRequest;
                return;
            }
            if (exchange is null || upstreamBody is null || routedBody is null)
            {
                return;
            }
            using (exchange)
            using (upstreamBody)
            {
                var result = await ForwardAsync(exchange, routedBody).ConfigureAwait(false);
                if (exchange.Reply is { } reply)
                {
                    AuditChat.Output(AuditFeature.Of(context), reply);
                    chatPolicy.ReportOutput(requestId, reply);
                }
                claim.Stored = exchange.TurnStored;
                claim.Status = result.Status;
                claim.Model = exchange.Model.Id;
                claim.Provider = exchange.CacheHit || result.Status >= 400 && exchange.Attempts == 0 ? null : exchange.Deployment?.Provider.Name;
                var (input, output) = Settled(exchange, result);
                AuditChat.Completed(AuditFeature.Of(context), exchange, result, input, output, quotaOptions.Value.Prices.GetValueOrDefault(exchange.Model.Id));
                await quotaGate.SettleAsync(exchange.Quota, input, output).ConfigureAwait(false);
                ChatLog.Completed(logger, requestId, exchange.Model.Id, exchange.ProviderName, result.Status, result.Streamed, result.Truncated,
                    result.Usage?.PromptTokens, result.Usage?.CompletionTokens, result.Usage?.TotalTokens);
            }
        }
    }

    /// <summary>A turn whose prompt was planned but that was not stored (refused, failed, the client left) frees its key,
    /// so a retry need not wait for this request. Off the request path: the claim lapses anyway if this call is lost.</summary>
    private void ReleaseTurn(string conversationId, TurnIdentity turn, string requestId)
        => _ = Task.Run(async () =>
        {
            try
            {
                await grainFactory.GetGrain<IConversationGrain>(conversationId).ReleaseTurnAsync(turn).ConfigureAwait(false);
            }
            catch (Exception e)
            {
                ChatLog.TurnReleaseFailed(logger, requestId, conversationId, RedactedException.Of(e));
            }
        });

    /// <summary>Everything before the upstream call. Returns nulls once an error answer has been written. The client's
    /// body is released before the (possibly long) upstream exchange; only the rewritten body is kept.</summary>
    private async Task<(ChatExchange?, PooledBufferWriter?, UpstreamBody?)> PrepareAsync(HttpContext context, string requestId, TurnClaim claim)
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
        claim.Model = request.Model.Id;
        var audit = AuditFeature.Of(context);
        if (audit is not null)
        {
            (audit.Model, audit.ConversationId) = (request.Model.Id, request.ConversationId);
        }
        var caller = context.GetCaller();
        var userId = caller.UserId;
        TurnIdentity? turn = null;
        if (request.ConversationId is { } conversationId)
        {
            if (!TurnKeys.TryResolve(context.Request.Headers, request.Messages, requestId, localSilo.SiloAddress, out turn, out var keyError))
            {
                await keyError!.WriteAsync(context).ConfigureAwait(false);
                return default;
            }
            (claim.Conversation, claim.Turn) = (conversationId, turn);
        }
        // The PII and keyword policy of the caller and model, on the new messages before they are counted or stored.
        var clientMessages = request.Messages;
        var policy = chatPolicy.IsEmpty ? null : await chatPolicy.ResolveAsync(caller, request.Model.Id).ConfigureAwait(false);
        var input = policy is null ? InputPolicyResult.Unchanged
            : await chatPolicy.ApplyInputAsync(policy, clientMessages, request.ConversationId, userId, requestId, context.RequestAborted).ConfigureAwait(false);
        try
        {
            if (await RefusedByPolicyAsync(context, policy, input).ConfigureAwait(false))
            {
                return default;
            }
            request = request with { Messages = input.Messages?.RootElement ?? clientMessages };
            var planned = await promptPlanner.PlanAsync(request, userId, turn, conversationOptions.Value, context.RequestAborted).ConfigureAwait(false);
            var rule = planned.Error is null && planned.Replay is null
                ? catalog.Rules.Match(request.RequestedModel, new RequestTraits(planned.Info.PromptTokens, request.HasTools, request.Stream))
                : null;
            if (rule is not null && !ReferenceEquals(rule.Target, request.Model))
            {
                var counted = request.Model;
                request = request with { Model = rule.Target };
                claim.Model = rule.Target.Id;
                var replan = counted.Tokens.Encoding != rule.Target.Tokens.Encoding || counted.ContextWindow != rule.Target.ContextWindow
                    || counted.LargestContextWindow != rule.Target.LargestContextWindow;
                var targetPolicy = chatPolicy.IsEmpty ? null : await chatPolicy.ResolveAsync(caller, rule.Target.Id).ConfigureAwait(false);
                if (!ReferenceEquals(targetPolicy, policy))
                {
                    // The chosen model has a policy of its own: the client's messages go through it instead.
                    (policy, input) = (targetPolicy, await ReapplyAsync(input, targetPolicy, clientMessages, request, userId, requestId, context).ConfigureAwait(false));
                    if (await RefusedByPolicyAsync(context, policy, input).ConfigureAwait(false))
                    {
                        return default;
                    }
                    request = request with { Messages = input.Messages?.RootElement ?? clientMessages };
                    replan = true;
                }
                if (replan)
                {
                    // The rule chose a model that counts, fits or is redacted differently: its prompt is planned again for it.
                    planned = await promptPlanner.PlanAsync(request, userId, turn, conversationOptions.Value, context.RequestAborted).ConfigureAwait(false);
                }
            }
            if (audit is not null)
            {
                // The policy's actions and the prompt as it goes upstream (masked again by the excerpt itself).
                AuditChat.Input(audit, input);
                (audit.Model, audit.Excerpt) = (request.Model.Id, auditExcerpt.FromMessages(request.Messages));
            }
            return await PrepareExchangeAsync(context, requestId, claim, body.Length, root, request, planned, rule, policy, input, turn, caller).ConfigureAwait(false);
        }
        finally
        {
            input.Dispose();
        }
    }

    private async ValueTask<InputPolicyResult> ReapplyAsync(InputPolicyResult previous, CompiledPolicy? policy, JsonElement clientMessages, ChatRequest request,
        string userId, string requestId, HttpContext context)
    {
        previous.Dispose();
        return policy is null ? InputPolicyResult.Unchanged
            : await chatPolicy.ApplyInputAsync(policy, clientMessages, request.ConversationId, userId, requestId, context.RequestAborted).ConfigureAwait(false);
    }

    /// <summary>Answers a request the policy refused (400 <c>policy_blocked:&lt;rule&gt;</c>, or a conversation gone meanwhile).</summary>
    private static async ValueTask<bool> RefusedByPolicyAsync(HttpContext context, CompiledPolicy? policy, InputPolicyResult input)
    {
        if (input.Error is not { } error)
        {
            return false;
        }
        ChatPolicy.SetHeaders(context.Response.Headers, policy?.Name, 0, input.Flagged);
        AuditChat.Input(AuditFeature.Of(context), input);
        if (input.BlockedRule is { } blocked)
        {
            context.Response.Headers[PolicyHeaders.Rule] = blocked;
        }
        await error.WriteAsync(context).ConfigureAwait(false);
        return true;
    }

    private async Task<(ChatExchange?, PooledBufferWriter?, UpstreamBody?)> PrepareExchangeAsync(HttpContext context, string requestId, TurnClaim claim,
        int bodyLength, JsonElement root, ChatRequest request, PromptPlanResult planned, RoutingRule? rule, CompiledPolicy? policy, InputPolicyResult input,
        TurnIdentity? turn, Caller caller)
    {
        var userId = caller.UserId;
        // For a conversation the grain's pseudonyms (this turn's included); else this request's own.
        var vault = request.ConversationId is null ? input.Vault : ChatPolicy.Vault(planned.Pseudonyms);
        if (planned.Replay is { } replay)
        {
            // A retry of a turn that is stored: its answer, not a second upstream call, and nothing charged again.
            claim.Stored = true;
            AuditFeature.Of(context)?.Replay = true;
            SetReplayHeaders(context.Response, requestId, request);
            ChatPolicy.SetHeaders(context.Response.Headers, policy?.Name, input.Redacted, input.Flagged);
            if (vault is not null)
            {
                replay = replay with { Assistant = replay.Assistant with { Utf8Json = ReplyPolicy.RestoreStored(replay.Assistant.Utf8Json, vault, chatPolicy.MaxHoldBack) } };
            }
            await TurnReplay.WriteAsync(context, replay, request.Stream, request.ClientIncludeUsage, request.Model.Id).ConfigureAwait(false);
            ChatLog.TurnReplayed(logger, requestId, request.ConversationId!);
            return default;
        }
        if (planned.Error is { } planError)
        {
            await planError.WriteAsync(context).ConfigureAwait(false);
            return default;
        }
        var (prompt, conversation) = (planned.Info, planned.Context);
        var quota = await quotaGate.AdmitAsync(caller, request.Model.Id, prompt.PromptTokens, request.MaxReplyTokens, context.RequestAborted).ConfigureAwait(false);
        if (quota.Refused)
        {
            QuotaResponses.SetHeaders(context.Response.Headers, quota);
            await QuotaResponses.WriteRefusalAsync(context, quota).ConfigureAwait(false);
            return default;
        }
        var newMessages = request.ConversationId is null ? null : CopyMessages(request.Messages);
        var exchange = new ChatExchange(context, requestId, request, userId, newMessages, turn, grainFactory, clusterCalls, timeProvider,
            lifecycle.GraceExpired, logger)
        {
            Prompt = prompt,
            Quota = quota,
            Rule = rule?.Name,
            Reply = chatPolicy.CreateReply(policy, vault),
            PolicyName = policy?.Name,
            PolicyRedacted = input.Redacted,
            PolicyFlagged = input.Flagged,
            TokenCost = (int)Math.Min((long)prompt.PromptTokens + (request.MaxReplyTokens ?? quotaOptions.Value.DefaultReplyTokens), int.MaxValue),
            // A window check needs an exact count; an estimate is left for the upstream (and its context fallback) to judge.
            RequiredWindow = prompt.Estimated ? 0 : (int)Math.Min((long)prompt.PromptTokens + (request.MaxReplyTokens ?? 0), int.MaxValue),
        };
        exchange.SetParleyHeaders();
        var upstreamBody = new PooledBufferWriter(bodyLength + RewriteHeadroomBytes + StoredLength(conversation));
        var routedBody = ChatRequestRewriter.Write(upstreamBody, root, request, conversation);
        return (exchange, upstreamBody, routedBody);
    }

    /// <summary>Answers from the response cache when it holds this exact request, else routes the call over the model's
    /// deployments (recording the answer for the cache when the request is cacheable).</summary>
    private async Task<ChatCompletionResult> ForwardAsync(ChatExchange exchange, UpstreamBody body)
    {
        var firstBody = body.For(exchange.Model.Primary.Model);
        var cacheRequest = responseCache.Begin(exchange.Context.Request.Headers, firstBody.Span, exchange.Temperature, exchange.UserId, exchange.CarriesRedactedData);
        var hit = cacheRequest is null ? null : await responseCache.LookupAsync(cacheRequest, exchange.Token).ConfigureAwait(false);
        if (cacheRequest is not null)
        {
            telemetry.CacheLookup(exchange.Model.Id, hit is not null);
        }
        if (hit is not null)
        {
            exchange.MarkCacheHit();
            // Replayed through the same relay as a live answer, so a hit has the same shape and stores the same turn.
            await using var cached = hit.OpenRead();
            return await RelayAsync(exchange, cached, hit.ContentType, hit.Body.Length).ConfigureAwait(false);
        }

        // The routed call is one span (parent of the upstream HTTP calls and the turn's grain calls) and one GenAI operation.
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        using var activity = ChatTelemetry.StartCall(exchange.Model);
        var result = await RouteAndRelayAsync(exchange, body, cacheRequest).ConfigureAwait(false);
        telemetry.CallEnded(activity, exchange, result, started);
        return result;
    }

    private async Task<ChatCompletionResult> RouteAndRelayAsync(ChatExchange exchange, UpstreamBody body, CacheRequest? cacheRequest)
    {
        RoutedCall routed;
        exchange.StartTotalTimeout();
        try
        {
            routed = await router.SendAsync(exchange.Model, new RouteRequest(body, exchange.Stream, exchange.Context.Request.Headers, exchange.TokenCost,
                exchange.RequiredWindow), exchange.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException e)
        {
            return await exchange.FailAsync(e).ConfigureAwait(false);
        }
        using (routed)
        {
            exchange.Routed(routed);
            if (routed.Success is not { } success)
            {
                return await WriteFailureAsync(exchange, routed).ConfigureAwait(false);
            }
            var upstream = success.Body;
            if (cacheRequest is null)
            {
                return await RelayAsync(exchange, upstream.Stream, upstream.ContentType, upstream.ContentLength).ConfigureAwait(false);
            }
            var recording = responseCache.Record(cacheRequest, upstream.Stream);
            await using (recording.ConfigureAwait(false))
            {
                var result = await RelayAsync(exchange, recording, upstream.ContentType, upstream.ContentLength).ConfigureAwait(false);
                if (result is { Status: StatusCodes.Status200OK, Truncated: false })
                {
                    await responseCache.StoreAsync(cacheRequest, recording, upstream.ContentType ?? JsonContentType, exchange.Context.RequestAborted).ConfigureAwait(false);
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

    /// <summary>No deployment answered: the refusal that decided it, or why none could.</summary>
    private static async Task<ChatCompletionResult> WriteFailureAsync(ChatExchange exchange, RoutedCall routed)
    {
        var context = exchange.Context;
        int status;
        if (routed.Rejected is { } rejected)
        {
            await rejected.WriteAsync(context).ConfigureAwait(false);
            status = rejected.Status;
        }
        else if (routed.Failure is { } failure)
        {
            try
            {
                status = await UpstreamErrors.WriteAsync(context, failure).ConfigureAwait(false);
            }
            catch (OperationCanceledException e)
            {
                return await exchange.FailAsync(e).ConfigureAwait(false);
            }
            ChatLog.UpstreamRefused(exchange.Logger, exchange.RequestId, failure.Provider, failure.Status, status);
        }
        else if (routed.UnavailableRetryAfter is { } reopens)
        {
            await UpstreamErrors.WriteUnavailableAsync(context, exchange.Model.Id, reopens).ConfigureAwait(false);
            status = StatusCodes.Status503ServiceUnavailable;
        }
        else if (routed.Error is { } error)
        {
            return await exchange.FailAsync(error).ConfigureAwait(false);
        }
        else
        {
            await UpstreamErrors.WriteCapacityAsync(context, exchange.ProviderName, routed.CapacityRetryAfter ?? TimeSpan.FromSeconds(1)).ConfigureAwait(false);
            status = StatusCodes.Status429TooManyRequests;
        }
        return new ChatCompletionResult(status, null, exchange.Stream, Truncated: false);
    }

    /// <summary>What the call used, which settles its quota reservation and prices its audit record: the upstream's usage; what was streamed when a
    /// stream died without it (the prompt, and about one token per content chunk); nothing for a cache hit or a call the
    /// upstream never answered.</summary>
    private static (long Input, long Output) Settled(ChatExchange exchange, ChatCompletionResult result)
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
        return (input, output);
    }

    private static Task<ChatCompletionResult> RelayAsync(ChatExchange exchange, Stream body, string? contentType, long? contentLength)
    {
        if (SseResponse.IsEventStream(contentType))
        {
            return StreamingRelay.RelayAsync(exchange, body);
        }
        // A reply to filter or a turn to store is read whole first; any other is copied through as it arrives.
        return exchange.ConversationId is null && exchange.Reply is null
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
        // Indexed, not foreach: an interface's enumerator would be an allocation per turn.
        for (var i = 0; i < conversation.Count; i++)
        {
            length += conversation[i].Utf8Json.Length + 1;
        }
        return length;
    }

    private static void SetReplayHeaders(HttpResponse response, string requestId, in ChatRequest request)
    {
        var headers = response.Headers;
        headers[RequestIds.HeaderName] = requestId;
        headers[ParleyHeaders.Model] = request.Model.Id;
        headers[ConversationReference.ResponseHeaderName] = request.ConversationId;
        ResponseCacheHeaders.Set(response, hit: false);
    }

    /// <summary>The conversation turn a request planned (claiming its key at the grain), and whether it got stored; and
    /// what the request counter needs (model, provider, status, or the failure the error handling answers).</summary>
    private sealed class TurnClaim
    {
        public string? Conversation { get; set; }
        public TurnIdentity? Turn { get; set; }
        public bool Stored { get; set; }
        public string? Model { get; set; }
        public string? Provider { get; set; }
        public int? Status { get; set; }
        public string? Failure { get; set; }
    }
}
