using System.Globalization;
using System.IO.Pipelines;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Parley.Sim.Api;
using Parley.Sim.Auth;
using Parley.Sim.Faults;
using Parley.Sim.Hosting;
using Parley.Sim.Observability;
using Parley.Sim.RateLimits;
using Parley.Sim.Tokens;

namespace Parley.Sim.Chat;

/// <summary>POST /v1/chat/completions: authenticate, read and validate the body, apply rate limits and faults, and
/// answer with the deterministic reply.</summary>
internal sealed class ChatCompletionsEndpoint(
    IOptions<SimulatorOptions> options,
    SimulatorAuthenticator authenticator,
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

    public async Task HandleAsync(HttpContext context)
    {
        state.RequestStarted();
        try
        {
            await HandleCoreAsync(context);
        }
        catch (Exception ex) when (context.RequestAborted.IsCancellationRequested && ex is OperationCanceledException or IOException)
        {
            SimulatorLog.ClientGone(logger);
        }
        catch (Exception ex) when (ex is not SimulatedConnectionCutException)
        {
            // Logged here because the simulator's host silences Kestrel's application-error log (every planned cut
            // would show up there as an error).
            SimulatorLog.Failed(logger, ex);
            throw;
        }
        finally
        {
            state.RequestFinished();
        }
    }

    private async Task HandleCoreAsync(HttpContext context)
    {
        var authError = authenticator.Authenticate(context.Request, out var key);
        if (authError is not null)
        {
            state.UnauthorizedSent();
            await RefuseAsync(context, authError);
            return;
        }
        state.Authenticated(key!);

        using var request = new ChatRequest();
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
        if (plan.Fault == SimFault.RateLimit429)
        {
            await ForcedRateLimitAsync(context, key!, request, plan);
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
                if (plan.RetryAfterSeconds is { } seconds)
                {
                    RateLimitHeaders.WriteRetryAfter(context.Response.Headers, seconds);
                }
                await SimErrors.WriteAsync(context, plan.Fault switch
                {
                    SimFault.ServerError500 => SimErrors.ServerError,
                    SimFault.BadGateway502 => SimErrors.BadGateway,
                    _ => SimErrors.Overloaded,
                });
                return;
            case SimFault.Timeout:
                await HangAsync(context);
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

    // Reads the whole body from the request pipe (no copy unless it spans segments) and parses it in place.
    private async Task<SimError?> ReadRequestAsync(HttpContext context, KeyEntry key, ChatRequest request)
    {
        var max = _options.MaxRequestBodyBytes;
        if (context.Request.ContentLength > max)
        {
            return SimErrors.TooLarge(max);
        }
        // The simulator's own limit applies, not Kestrel's default.
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } sizeFeature)
        {
            sizeFeature.MaxRequestBodySize = null;
        }
        var reader = context.Request.BodyReader;
        ReadResult result;
        while (true)
        {
            result = await reader.ReadAsync(context.RequestAborted);
            if (result.Buffer.Length > max)
            {
                reader.AdvanceTo(result.Buffer.End);
                return SimErrors.TooLarge(max);
            }
            if (result.IsCompleted || result.IsCanceled)
            {
                break;
            }
            reader.AdvanceTo(result.Buffer.Start, result.Buffer.End);
        }
        var body = result.Buffer;
        var error = parser.Parse(body, request);
        if (state.RecordsBodies)
        {
            state.Record(context.Request.Path.Value ?? "", key, Encoding.UTF8.GetString(body), !ReferenceEquals(error, SimErrors.InvalidJson), time.GetUtcNow());
        }
        reader.AdvanceTo(body.End);
        return error;
    }

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

    private Task ForcedRateLimitAsync(HttpContext context, KeyEntry key, ChatRequest request, FaultPlan plan)
    {
        var seconds = plan.RetryAfterSeconds ?? FaultPlanner.DefaultForcedRetryAfterSeconds;
        var headers = context.Response.Headers;
        RateLimitHeaders.WriteRetryAfter(headers, seconds);
        headers[RateLimitHeaders.RemainingRequests] = "0";
        headers[RateLimitHeaders.ResetRequests] = OpenAIDuration.Format(TimeSpan.FromSeconds(seconds));
        state.FaultSent(SimFault.RateLimit429);
        state.RateLimitSent(key);
        SimulatorLog.FaultInjected(logger, SimFaults.Name(SimFault.RateLimit429), plan.Forced, request.Model);
        return SimErrors.WriteAsync(context, SimErrors.RateLimited(
            $"Rate limit reached for {request.Model} (forced by the {SimHeaders.Fault} header). Please try again in {seconds}s."));
    }

    // A timeout fault answers nothing until the client gives up, or until the simulator shuts down.
    private async Task HangAsync(HttpContext context)
    {
        var released = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var aborted = context.RequestAborted.Register(static s => ((TaskCompletionSource)s!).TrySetResult(), released);
        await using var stopping = lifetime.ApplicationStopping.Register(static s => ((TaskCompletionSource)s!).TrySetResult(), released);
        await released.Task;
    }

    private Task RefuseAsync(HttpContext context, SimError error)
    {
        SimulatorLog.Refused(logger, error.Status, error.Message);
        return SimErrors.WriteAsync(context, error);
    }
}
