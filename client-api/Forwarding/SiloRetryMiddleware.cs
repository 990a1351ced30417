using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Parley.ClientApi.Hosting;
using Yarp.ReverseProxy.Forwarder;
using Yarp.ReverseProxy.Model;

namespace Parley.ClientApi.Forwarding;

/// <summary>Sends a request on to the next silo of its key's ranking when the silo it went to failed before answering
/// — connection refused or reset, connect timeout, a pooled connection the silo had just closed — up to
/// <see cref="FrontEndOptions.MaxAttempts"/> silos, and only while that is safe: the client has seen nothing of the
/// response, and the silo has taken none of the request body that cannot be sent again (a body the front end holds
/// whole is replayed). A conversation turn with an <c>Idempotency-Key</c> whose body the front end holds is retried also when the
/// silo took it and failed before answering (it died, or cut the connection): the silo that gets the repeat answers it
/// from what the first attempt stored, or waits for it. Each retry runs YARP's load balancing again over the silos not
/// yet tried, so the rendezvous policy picks the key's next silo. When no attempt succeeds, the client gets an
/// OpenAI-shaped 502 (or 504).</summary>
internal sealed class SiloRetryMiddleware(RequestDelegate next, IOptions<FrontEndOptions> options, ILogger<SiloRetryMiddleware> logger)
{
    private readonly int _maxAttempts = options.Value.MaxAttempts;

    public async Task InvokeAsync(HttpContext context)
    {
        var proxy = context.GetReverseProxyFeature();
        var candidates = proxy.AvailableDestinations;
        var attempts = Math.Min(_maxAttempts, candidates.Count);
        var body = attempts > 1 ? TrackBody(context) : null;
        for (var attempt = 1; ; attempt++)
        {
            await next(context);
            var error = context.Features.Get<IForwarderErrorFeature>();
            if (error is null)
            {
                return;
            }
            if (attempt < attempts && IsSafeToRetry(context, error, body) && proxy.ProxiedDestination is { } failed)
            {
                ForwarderLog.Retrying(logger, failed.DestinationId, context.Request.Method, context.Request.Path.Value ?? "/", error.Error, attempt + 1, error.Exception);
                candidates = Without(candidates, failed);
                body?.Rewind();
                context.Features.Set<IForwarderErrorFeature>(null);
                context.Response.Clear();
                proxy.ProxiedDestination = null;
                proxy.AvailableDestinations = candidates;
                continue;
            }
            await AnswerFailureAsync(context, error, attempt);
            return;
        }
    }

    // The body as the silo call will read it, so a retry can tell whether any of it left. Requests without a body
    // need nothing: there is nothing to replay.
    private static RetryableRequestBody? TrackBody(HttpContext context)
    {
        var request = context.Request;
        if (request.Body is RetryableRequestBody peeked)
        {
            return peeked;
        }
        if (context.Features.Get<IHttpRequestBodyDetectionFeature>() is { CanHaveBody: false })
        {
            return null;
        }
        var body = new RetryableRequestBody(request.Body, ReadOnlyMemory<byte>.Empty, holdsWholeBody: false);
        request.Body = body;
        return body;
    }

    private static bool IsSafeToRetry(HttpContext context, IForwarderErrorFeature error, RetryableRequestBody? body)
    {
        if (context.Response.HasStarted || context.RequestAborted.IsCancellationRequested || body is { CanReplay: false })
        {
            return false;
        }
        if (body is { HoldsWholeBody: true } && IdempotentRequests.IsIdempotent(context))
        {
            // Anything but the client's own failure: the client has seen nothing, and a repeat is answered once.
            return error.Error is not (ForwarderError.RequestCanceled or ForwarderError.RequestBodyCanceled or ForwarderError.RequestBodyClient
                or ForwarderError.ResponseBodyCanceled or ForwarderError.ResponseBodyClient);
        }
        return error.Error switch
        {
            // The silo could not be reached or dropped the connection before its response headers.
            ForwarderError.Request => true,
            // The silo broke off while taking the body; only reached here when the body can be replayed.
            ForwarderError.RequestBodyDestination => true,
            // The connect timeout, not a silo that took the request and then was slow: that one may be working on it.
            ForwarderError.RequestTimedOut => IsConnectTimeout(error.Exception),
            _ => false,
        };
    }

    private static bool IsConnectTimeout(Exception? exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            if (e is TimeoutException || e is HttpRequestException { HttpRequestError: HttpRequestError.ConnectionError })
            {
                return true;
            }
        }
        return false;
    }

    private static DestinationState[] Without(IReadOnlyList<DestinationState> destinations, DestinationState failed)
    {
        var rest = new List<DestinationState>(destinations.Count);
        for (var i = 0; i < destinations.Count; i++)
        {
            if (!ReferenceEquals(destinations[i], failed))
            {
                rest.Add(destinations[i]);
            }
        }
        return [.. rest];
    }

    // YARP set the status (502, 504, …) but no body; the client gets OpenAI's shape like every other error.
    private Task AnswerFailureAsync(HttpContext context, IForwarderErrorFeature error, int attempts)
    {
        var response = context.Response;
        if (response.HasStarted || context.RequestAborted.IsCancellationRequested)
        {
            return Task.CompletedTask;
        }
        var status = response.StatusCode;
        ForwarderLog.Failed(logger, context.Request.Method, context.Request.Path.Value ?? "/", attempts, error.Error, status, error.Exception);
        return status switch
        {
            StatusCodes.Status502BadGateway => FrontEndErrors.WriteAsync(context, status,
                "The Parley silo could not be reached. Retry shortly.", FrontEndErrors.UpstreamUnavailableCode, retryAfterSeconds: 1),
            StatusCodes.Status504GatewayTimeout => FrontEndErrors.WriteAsync(context, status,
                "The Parley silo did not answer in time.", FrontEndErrors.UpstreamTimeoutCode),
            _ => Task.CompletedTask,
        };
    }
}
