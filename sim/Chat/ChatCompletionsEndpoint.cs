using System.Globalization;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Parley.Sim.Api;
using Parley.Sim.Auth;
using Parley.Sim.Azure;
using Parley.Sim.Faults;
using Parley.Sim.Hosting;
using Parley.Sim.Models;
using Parley.Sim.Observability;
using Parley.Sim.RateLimits;
using Parley.Sim.Tokens;

namespace Parley.Sim.Chat;

/// <summary>POST /v1/chat/completions (and Azure's deployment route, which differs only in its key header, its
/// api-version and its model): authenticate, read and validate the body, apply the content policy, rate limits and
/// faults, and answer with the deterministic reply.</summary>
internal sealed class ChatCompletionsEndpoint(
    IOptions<SimulatorOptions> options,
    SimulatorAuthenticator authenticator,
    ModelCatalog models,
    ChatRequestParser parser,
    FaultPlanner faults,
    KeyRateLimiter limiter,
    CompletionResponder responder,
    SimulatorState state,
    TimeProvider time,
    IHostApplicationLifetime lifetime,
    ILogger<ChatCompletionsEndpoint> logger)
{
    private readonly SimulatorOptions _options = options.Value;
    private readonly string? _contentPolicyTrigger = string.IsNullOrEmpty(options.Value.ContentPolicyTrigger) ? null : options.Value.ContentPolicyTrigger;

    /// <summary>OpenAI's route: the key is a bearer token, the body names the model.</summary>
    public Task HandleAsync(HttpContext context) => RunAsync(context, deployment: null);

    /// <summary>Azure OpenAI's route: the key is in api-key, the route names the model (its deployment).</summary>
    public Task HandleAzureAsync(HttpContext context) => RunAsync(context, AzureDeployments.Deployment(context.Request));

    private Task RunAsync(HttpContext context, string? deployment)
        => EndpointRun.RunAsync(context, state, logger, static (c, a) => a.Endpoint.HandleCoreAsync(c, a.Deployment), (Endpoint: this, Deployment: deployment));

    private async Task HandleCoreAsync(HttpContext context, string? deployment)
    {
        var azure = deployment is not null;
        if (azure && AzureDeployments.CheckApiVersion(context.Request) is { } versionError)
        {
            state.BadRequestSent();
            await RefuseAsync(context, versionError);
            return;
        }
        var failure = authenticator.Authenticate(context.Request, azure ? KeySource.ApiKey : KeySource.Bearer, out var key);
        if (failure != AuthFailure.None)
        {
            state.UnauthorizedSent();
            await RefuseAsync(context, azure ? AzureDeployments.AccessDenied : SimulatorAuthenticator.OpenAIError(failure)!);
            return;
        }
        state.Authenticated(key!);
        if (azure && !models.AcceptAny && !models.Contains(deployment!))
        {
            state.BadRequestSent();
            await RefuseAsync(context, AzureDeployments.DeploymentNotFound);
            return;
        }

        using var request = new ChatRequest();
        if (azure)
        {
            request.UseRouteModel(deployment!);
        }
        var error = await ReadRequestAsync(context, key!, request);
        FaultPlan plan = default;
        int? responseTokens = null;
        if (error is null && (error = faults.TryPlan(context.Request.Headers, out plan)) is null)
        {
            FaultPlanner.TryReadInt(context.Request.Headers, SimHeaders.ResponseTokens, 1, out responseTokens, out error);
        }
        if (error is not null)
        {
            state.BadRequestSent();
            await RefuseAsync(context, error);
            return;
        }
        // Like the context window, before the limiter and the faults: a refused prompt uses nothing.
        if (_contentPolicyTrigger is not null && request.LastUserText.Contains(_contentPolicyTrigger, StringComparison.OrdinalIgnoreCase))
        {
            state.ContentPolicyRefusalSent();
            await RefuseAsync(context, SimErrors.ContentPolicyViolation);
            return;
        }
        if (plan.Fault == SimFault.RateLimit429)
        {
            await InjectedRateLimitAsync(context, key!, request, plan);
            return;
        }

        using var reply = Reply.Create(request.LastUserText, responseTokens ?? _options.ResponseTokens, request.MaxTokens, request.Encoding!);
        if (limiter.Enabled && !await AdmitAsync(context, key!, request, reply))
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
                    RateLimitHeaders.WriteRetryAfter(context.Response.Headers, RateLimitHeaders.SecondsUp(retryAfter));
                }
                await SimErrors.WriteAsync(context, plan.Fault switch
                {
                    SimFault.ServerError500 => SimErrors.ServerError,
                    SimFault.BadGateway502 => SimErrors.BadGateway,
                    _ => SimErrors.Overloaded,
                });
                return;
            case SimFault.Timeout:
                await FaultActions.HangAsync(context, lifetime.ApplicationStopping);
                context.Abort();
                return;
            case SimFault.CutBeforeFirstByte:
                context.Abort();
                return;
        }

        var header = new CompletionHeader(CompletionIds.Next(), time.GetUtcNow().ToUnixTimeSeconds(), request.Model!, request.IncludeUsage);
        var cut = plan.Fault == SimFault.CutMidStream;
        var whole = request.Stream
            ? await responder.StreamAsync(context, header, reply, request.PromptTokens, cut ? plan.CutAfterChunks : null)
            : await responder.WriteJsonAsync(context, header, reply, request.PromptTokens, cut);
        if (whole)
        {
            state.CompletedSent();
        }
    }

    private ValueTask<SimError?> ReadRequestAsync(HttpContext context, KeyEntry key, ChatRequest request)
        => RequestBody.ReadAndParseAsync(context, _options.MaxRequestBodyBytes, parser, request, SimErrors.TooLarge, SimErrors.InvalidJson, state, key, time, logger);

    private async Task<bool> AdmitAsync(HttpContext context, KeyEntry key, ChatRequest request, Reply reply)
    {
        var requested = request.PromptTokens + reply.CompletionTokens;
        var decision = limiter.Admit(key, requested);
        RateLimitHeaders.Write(context.Response.Headers, decision);
        if (decision.Admitted)
        {
            return true;
        }
        var resetIn = OpenAIDuration.Format(decision.ResetIn);
        var message = decision.LimitedByTokens
            ? string.Create(CultureInfo.InvariantCulture,
                $"Rate limit reached for {request.Model} on tokens per {OpenAIDuration.Format(_options.RateLimitWindow)}: Limit {decision.TokenLimit}, Used {decision.TokenLimit - decision.TokensRemaining}, Requested {requested}. Please try again in {resetIn}.")
            : string.Create(CultureInfo.InvariantCulture,
                $"Rate limit reached for {request.Model} on requests per {OpenAIDuration.Format(_options.RateLimitWindow)}: Limit {decision.RequestLimit}, Used {decision.RequestLimit}, Requested 1. Please try again in {resetIn}.");
        SimulatorLog.RateLimited(logger, request.Model, decision.LimitedByTokens ? "tokens" : "requests", decision.ResetIn);
        RateLimitHeaders.WriteRetryAfter(context.Response.Headers, OpenAIDuration.RetryAfterSeconds(decision.ResetIn));
        state.RateLimitSent(key);
        await SimErrors.WriteAsync(context, SimErrors.RateLimited(message));
        return false;
    }

    // A 429 forced by x-sim-fault or drawn at Simulator:RateLimitRate; it uses nothing of the key's window.
    private Task InjectedRateLimitAsync(HttpContext context, KeyEntry key, ChatRequest request, FaultPlan plan)
    {
        var retryAfter = plan.RetryAfter ?? FaultPlanner.DefaultForcedRetryAfter;
        var headers = context.Response.Headers;
        RateLimitHeaders.WriteRetryAfter(headers, retryAfter);
        headers[RateLimitHeaders.RemainingRequests] = "0";
        headers[RateLimitHeaders.ResetRequests] = OpenAIDuration.Format(retryAfter);
        state.FaultSent(SimFault.RateLimit429);
        state.RateLimitSent(key);
        SimulatorLog.FaultInjected(logger, SimFaults.Name(SimFault.RateLimit429), plan.Forced, request.Model);
        var cause = plan.Forced ? $"forced by the {SimHeaders.Fault} header" : "drawn at Simulator:RateLimitRate";
        return SimErrors.WriteAsync(context, SimErrors.RateLimited(
            $"Rate limit reached for {request.Model} ({cause}). Please try again in {OpenAIDuration.Format(retryAfter)}."));
    }

    private Task RefuseAsync(HttpContext context, SimError error)
    {
        SimulatorLog.Refused(logger, error.Status, error.Message);
        return SimErrors.WriteAsync(context, error);
    }
}
