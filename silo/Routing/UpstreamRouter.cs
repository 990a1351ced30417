using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Parley.Silo.Providers;
using Parley.Silo.Resilience;
using Polly.CircuitBreaker;

namespace Parley.Silo.Routing;

/// <summary>Sends a call to a model group: deployment after deployment (by priority, weight or latency, skipping open
/// circuits and windows too small), each through its resilience pipeline, until one answers or a refusal is the client's
/// own. Refusals move the call by their class: 5xx, timeouts and long 429s to the next deployment, 401/403/404 too
/// (that deployment is misconfigured), <c>context_length_exceeded</c> to a larger window, a content-policy refusal to the
/// model's configured alternative.</summary>
internal sealed partial class UpstreamRouter(IOptions<UpstreamCatalogOptions> options, TimeProvider time, RoutingMetrics metrics, ILogger<UpstreamRouter> logger)
{
    private readonly RoutingOptions _options = options.Value.Routing;

    public async Task<RoutedCall> SendAsync(CatalogModel model, RouteRequest route, CancellationToken cancellationToken)
    {
        var untried = new SelectionFilter(0, route.RequiredWindow, 0);
        var filter = untried;
        var attempts = 0;
        var contentFallbackUsed = false;
        Deployment? last = null;
        UpstreamFailure? lastFailure = null;
        Exception? lastError = null;
        TimeSpan? capacity = null;
        while (true)
        {
            var now = time.GetUtcNow();
            var member = DeploymentSelector.Pick(model, filter, now, _options, out var soonestReopen);
            if (member is null)
            {
                var unavailable = last is null && soonestReopen != DateTimeOffset.MaxValue ? soonestReopen - now : (TimeSpan?)null;
                return lastFailure is not null
                    ? RoutedCall.Refused(model, last, attempts, lastFailure)
                    : RoutedCall.NoAnswer(model, last, attempts, lastError, lastError is null ? capacity : null, unavailable);
            }
            filter = filter with { Tried = filter.Tried | (1UL << member.Index) };
            var deployment = member.Deployment;
            last = deployment;
            var outcome = await deployment.ExecuteAsync(route, cancellationToken).ConfigureAwait(false);
            attempts += outcome.Attempts;
            if (outcome.Result is { IsSuccess: true } success)
            {
                return RoutedCall.Answered(model, deployment, success, attempts);
            }
            if (outcome.Exception is { } exception)
            {
                switch (exception)
                {
                    case BrokenCircuitException:
                        // Half-open with its trial in flight, or opened since it was picked: nothing was sent.
                        break;
                    case UpstreamCapacityException full:
                        capacity = capacity is { } known && known < full.RetryAfter ? known : full.RetryAfter;
                        break;
                    case UpstreamRequestRejectedException rejected:
                        return RoutedCall.RejectedBy(model, deployment, attempts, rejected.Error);
                    default:
                        lastError = exception;
                        break;
                }
                MovingOn(deployment, exception switch
                {
                    BrokenCircuitException => "circuit_open",
                    UpstreamCapacityException => "capacity",
                    Polly.Timeout.TimeoutRejectedException => "timeout",
                    _ => "no_answer",
                });
                continue;
            }
            var failure = outcome.Result!.Failure!;
            switch (failure.Kind)
            {
                case FailureKind.Client:
                    return RoutedCall.Refused(model, deployment, attempts, failure);
                case FailureKind.ContextLength:
                    // Only a known larger window can help; the mask keeps what was tried.
                    filter = filter with { AboveWindow = member.ContextWindow ?? int.MaxValue };
                    break;
                case FailureKind.ContentPolicy when !contentFallbackUsed && model.ContentPolicyFallback is { } alternative:
                    metrics.Fallback(deployment.Name, "content_policy");
                    LogContentPolicyFallback(logger, model.Id, deployment.Name, alternative.Id);
                    model = alternative;
                    contentFallbackUsed = true;
                    filter = untried;
                    lastFailure = failure;
                    continue;
                case FailureKind.ContentPolicy:
                    return RoutedCall.Refused(model, deployment, attempts, failure);
            }
            lastFailure = failure;
            MovingOn(deployment, failure.Kind switch
            {
                FailureKind.Transient => "server_error",
                FailureKind.RateLimited => "rate_limited",
                FailureKind.ContextLength => "context_length",
                _ => "deployment_refused",
            });
        }
    }

    private void MovingOn(Deployment deployment, string reason)
    {
        metrics.Fallback(deployment.Name, reason);
        LogMovingOn(logger, deployment.Name, reason);
    }

    [LoggerMessage(EventId = 4210, Level = LogLevel.Information, Message = "Deployment {Deployment} failed the call ({Failure}); trying the next deployment of the group.")]
    private static partial void LogMovingOn(ILogger logger, string deployment, string failure);

    [LoggerMessage(EventId = 4211, Level = LogLevel.Information, Message = "Model {Model}: deployment {Deployment} refused on content policy; trying {Alternative}.")]
    private static partial void LogContentPolicyFallback(ILogger logger, string model, string deployment, string alternative);
}
