using System.Globalization;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Parley.Sim.Api;
using Parley.Sim.Auth;
using Parley.Sim.Faults;
using Parley.Sim.Hosting;
using Parley.Sim.Observability;
using Parley.Sim.RateLimits;

namespace Parley.Sim.Anthropic;

/// <summary>POST /v1/messages, Anthropic's Messages API: authenticate (x-api-key or a bearer key, anthropic-version), read and validate
/// the body, apply rate limits and faults as the chat completions do, and answer with the deterministic message.
/// Every answer carries a request-id header.</summary>
internal sealed class MessagesEndpoint(
    IOptions<SimulatorOptions> options,
    SimulatorAuthenticator authenticator,
    MessagesRequestParser parser,
    FaultPlanner faults,
    KeyRateLimiter limiter,
    MessagesResponder responder,
    SimulatorState state,
    TimeProvider time,
    IHostApplicationLifetime lifetime,
    ILogger<MessagesEndpoint> logger)
{
    private readonly SimulatorOptions _options = options.Value;

    public Task HandleAsync(HttpContext context)
        => EndpointRun.RunAsync(context, state, logger, static (c, endpoint) => endpoint.HandleCoreAsync(c), this);

    private async Task HandleCoreAsync(HttpContext context)
    {
        var requestId = AnthropicIds.NextRequest();
        context.Response.Headers[AnthropicIds.RequestIdHeader] = requestId;
        var failure = authenticator.Authenticate(context.Request, KeySource.XApiKeyOrBearer, out var key);
        if (failure != AuthFailure.None)
        {
            state.UnauthorizedSent();
            await RefuseAsync(context, failure == AuthFailure.MissingKey ? AnthropicErrors.MissingApiKey : AnthropicErrors.InvalidApiKey, requestId);
            return;
        }
        state.Authenticated(key!);

        using var request = new MessagesRequest();
        var error = AnthropicVersions.Check(context.Request, request) ?? await ReadRequestAsync(context, key!, request);
        FaultPlan plan = default;
        int? responseTokens = null;
        if (error is null)
        {
            if (faults.TryPlan(context.Request.Headers, out plan) is not { } headerError)
            {
                FaultPlanner.TryReadInt(context.Request.Headers, SimHeaders.ResponseTokens, 1, out responseTokens, out headerError);
            }
            error = headerError is null ? null : AnthropicErrors.Invalid(headerError.Message);
        }
        if (error is not null)
        {
            state.BadRequestSent();
            await RefuseAsync(context, error, requestId);
            return;
        }
        if (plan.Fault == SimFault.RateLimit429)
        {
            await InjectedRateLimitAsync(context, key!, request, plan, requestId);
            return;
        }

        using var answer = MessagesAnswer.Create(request, responseTokens ?? _options.ResponseTokens);
        if (limiter.Enabled && !await AdmitAsync(context, key!, request, answer, requestId))
        {
            return;
        }
        if (plan.Fault != SimFault.None)
        {
            state.FaultSent(plan.Fault);
            SimulatorLog.FaultInjected(logger, SimFaults.Name(plan.Fault), plan.Forced, request.Model);
        }
        switch (plan.Fault)
        {
            case SimFault.ServerError500 or SimFault.BadGateway502 or SimFault.Overloaded503:
                if (plan.RetryAfter is { } retryAfter)
                {
                    AnthropicRateLimitHeaders.WriteRetryAfter(context.Response.Headers, RateLimitHeaders.SecondsUp(retryAfter));
                }
                await AnthropicErrors.WriteAsync(context, plan.Fault switch
                {
                    SimFault.ServerError500 => AnthropicErrors.ApiError,
                    SimFault.BadGateway502 => AnthropicErrors.BadGateway,
                    _ => AnthropicErrors.Overloaded,
                }, requestId);
                return;
            case SimFault.Timeout:
                await FaultActions.HangAsync(context, lifetime.ApplicationStopping);
                context.Abort();
                return;
            case SimFault.CutBeforeFirstByte:
                context.Abort();
                return;
        }

        answer.NumberToolUse(state);
        var id = AnthropicIds.NextMessage();
        var cut = plan.Fault == SimFault.CutMidStream;
        var whole = request.Stream
            ? await responder.StreamAsync(context, id, request.Model!, answer, request.InputTokens, cut ? plan.CutAfterChunks : null)
            : await responder.WriteJsonAsync(context, id, request.Model!, answer, request.InputTokens, cut);
        if (whole)
        {
            state.CompletedSent();
        }
    }

    private ValueTask<AnthropicError?> ReadRequestAsync(HttpContext context, KeyEntry key, MessagesRequest request)
        => RequestBody.ReadAndParseAsync(context, _options.MaxRequestBodyBytes, parser, request, AnthropicErrors.TooLarge, AnthropicErrors.InvalidJson, state, key, time, logger);

    private async Task<bool> AdmitAsync(HttpContext context, KeyEntry key, MessagesRequest request, MessagesAnswer answer, string requestId)
    {
        var requested = (long)request.InputTokens + answer.OutputTokens;
        var decision = limiter.Admit(key, requested);
        AnthropicRateLimitHeaders.Write(context.Response.Headers, decision, time.GetUtcNow());
        if (decision.Admitted)
        {
            return true;
        }
        var window = OpenAIDuration.Format(_options.RateLimitWindow);
        var wait = OpenAIDuration.Format(decision.ResetIn);
        var message = decision.LimitedByTokens
            ? string.Create(CultureInfo.InvariantCulture,
                $"This request would exceed the rate limit of {decision.TokenLimit} tokens per {window} for this key ({decision.TokenLimit - decision.TokensRemaining} used, {requested} requested). Please try again in {wait}.")
            : string.Create(CultureInfo.InvariantCulture,
                $"This request would exceed the rate limit of {decision.RequestLimit} requests per {window} for this key. Please try again in {wait}.");
        SimulatorLog.RateLimited(logger, request.Model, decision.LimitedByTokens ? "tokens" : "requests", decision.ResetIn);
        AnthropicRateLimitHeaders.WriteRetryAfter(context.Response.Headers, OpenAIDuration.RetryAfterSeconds(decision.ResetIn));
        state.RateLimitSent(key);
        await AnthropicErrors.WriteAsync(context, AnthropicErrors.RateLimited(message), requestId);
        return false;
    }

    // A 429 forced by x-sim-fault or drawn at Simulator:RateLimitRate; it uses nothing of the key's window.
    private Task InjectedRateLimitAsync(HttpContext context, KeyEntry key, MessagesRequest request, FaultPlan plan, string requestId)
    {
        var retryAfter = plan.RetryAfter ?? FaultPlanner.DefaultForcedRetryAfter;
        var headers = context.Response.Headers;
        AnthropicRateLimitHeaders.WriteRetryAfter(headers, RateLimitHeaders.SecondsUp(retryAfter));
        headers[AnthropicRateLimitHeaders.RequestsRemaining] = "0";
        headers[AnthropicRateLimitHeaders.RequestsReset] = AnthropicRateLimitHeaders.ResetTime(time.GetUtcNow(), retryAfter);
        state.FaultSent(SimFault.RateLimit429);
        state.RateLimitSent(key);
        SimulatorLog.FaultInjected(logger, SimFaults.Name(SimFault.RateLimit429), plan.Forced, request.Model);
        var cause = plan.Forced ? $"forced by the {SimHeaders.Fault} header" : "drawn at Simulator:RateLimitRate";
        return AnthropicErrors.WriteAsync(context, AnthropicErrors.RateLimited(
            $"Rate limit reached for {request.Model} ({cause}). Please try again in {OpenAIDuration.Format(retryAfter)}."), requestId);
    }

    private Task RefuseAsync(HttpContext context, AnthropicError error, string requestId)
    {
        SimulatorLog.Refused(logger, error.Status, error.Message);
        return AnthropicErrors.WriteAsync(context, error, requestId);
    }
}
