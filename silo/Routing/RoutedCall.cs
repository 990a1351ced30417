using Parley.Silo.Api;
using Parley.Silo.Providers;
using Parley.Silo.Resilience;

namespace Parley.Silo.Routing;

/// <summary>How a routed call ended: an answer to relay (its first bytes already read), or the one failure to answer the
/// client with, chosen over every deployment tried.</summary>
internal sealed class RoutedCall : IDisposable
{
    private AttemptResult? _success;

    private RoutedCall(CatalogModel model, Deployment? deployment, int attempts)
    {
        Model = model;
        Deployment = deployment;
        Attempts = attempts;
    }

    /// <summary>The model that answered (a content-policy fallback if one was used).</summary>
    public CatalogModel Model { get; }

    /// <summary>The deployment that answered, or the last one tried; null when none could be.</summary>
    public Deployment? Deployment { get; }

    /// <summary>Upstream attempts over every deployment tried.</summary>
    public int Attempts { get; }

    public AttemptResult? Success => _success;

    /// <summary>The refusal to relay (a client error, or the last upstream refusal when no deployment answered).</summary>
    public UpstreamFailure? Failure { get; private init; }

    /// <summary>What the last attempt without an answer died of (timeout, refused or cut connection), when no refusal was seen.</summary>
    public Exception? Error { get; private init; }

    /// <summary>A request the deployment's protocol cannot express.</summary>
    public ApiError? Rejected { get; private init; }

    /// <summary>Set when no deployment could take the call because every key pool was at capacity.</summary>
    public TimeSpan? CapacityRetryAfter { get; private init; }

    /// <summary>Set when every deployment's circuit was open: when the first reopens.</summary>
    public TimeSpan? UnavailableRetryAfter { get; private init; }

    public static RoutedCall Answered(CatalogModel model, Deployment deployment, AttemptResult success, int attempts)
        => new(model, deployment, attempts) { _success = success };

    public static RoutedCall Refused(CatalogModel model, Deployment? deployment, int attempts, UpstreamFailure failure)
        => new(model, deployment, attempts) { Failure = failure };

    public static RoutedCall RejectedBy(CatalogModel model, Deployment deployment, int attempts, ApiError error)
        => new(model, deployment, attempts) { Rejected = error };

    public static RoutedCall NoAnswer(CatalogModel model, Deployment? deployment, int attempts, Exception? error, TimeSpan? capacity, TimeSpan? unavailable)
        => new(model, deployment, attempts) { Error = error, CapacityRetryAfter = capacity, UnavailableRetryAfter = unavailable };

    /// <summary>Ends the answer's call (after its relay): releases its key slot and its in-flight count.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _success, null) is { } success)
        {
            success.Dispose();
            Deployment!.Finished();
        }
    }
}
