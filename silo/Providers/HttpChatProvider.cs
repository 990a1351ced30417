using Microsoft.Extensions.Logging;
using Parley.GrainInterfaces.UpstreamKeys;
using Parley.Grains.UpstreamKeys;
using Parley.Silo.Providers.Wire;

namespace Parley.Silo.Providers;

/// <summary>An upstream reached over HTTP in one of the <see cref="IUpstreamWire"/> protocols. One pooled connection
/// handler per provider lives as long as the silo; every call is paced on one key of the provider's
/// <see cref="UpstreamKeyPool"/>.</summary>
internal sealed partial class HttpChatProvider : IChatProvider, IDisposable
{
    // Recycles pooled connections so DNS changes (a provider moving behind its load balancer) are picked up.
    private static readonly TimeSpan PooledConnectionLifetime = TimeSpan.FromMinutes(2);
    private static readonly TimeSpan PooledConnectionIdleTimeout = TimeSpan.FromMinutes(1);
    // The longest an answer waits for what it teaches about its key to be written.
    private static readonly TimeSpan ReportTimeout = TimeSpan.FromMilliseconds(500);

    private readonly HttpClient _client;
    private readonly IUpstreamWire _wire;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Routing.RoutingMetrics? _metrics;

    public HttpChatProvider(string name, ProviderOptions options, IUpstreamWire wire, UpstreamKeyPool pool, TimeProvider time, ILogger logger,
        Routing.RoutingMetrics? metrics = null)
    {
        _metrics = metrics;
        Name = name;
        Options = options;
        Pool = pool;
        _wire = wire;
        _time = time;
        _logger = logger;
        var handler = new SocketsHttpHandler
        {
            PooledConnectionLifetime = PooledConnectionLifetime,
            PooledConnectionIdleTimeout = PooledConnectionIdleTimeout,
            ConnectTimeout = options.Resilience.ConnectTimeout,
            AllowAutoRedirect = false,
            UseCookies = false,
            UseProxy = false,
        };
        // Timeouts are applied by the caller (first byte per attempt, then each body read, then the whole call), never as
        // a per-request limit here that would cut long streams.
        _client = new HttpClient(handler, disposeHandler: true) { Timeout = System.Threading.Timeout.InfiniteTimeSpan };
    }

    public string Name { get; }

    public ProviderOptions Options { get; }

    public UpstreamKeyPool Pool { get; }

    public async Task<UpstreamCall> SendAsync(UpstreamRequest request, CancellationToken cancellationToken)
    {
        var deadline = _time.GetUtcNow() + Pool.Options.MaxPacingWait;
        UpstreamCall? last = null;
        ulong skip = 0;
        try
        {
            // A refusal for the key takes it out of this request's choice, so attempts are bounded by the keys (plus one
            // wait on a key that asked for less than the remaining wait).
            for (var attempt = 0; attempt <= Pool.Keys.Count; attempt++)
            {
                KeyLease lease;
                HttpResponseMessage? response;
                try
                {
                    do
                    {
                        lease = await Pool.AcquireAsync(request.TokenCost, deadline, skip, cancellationToken).ConfigureAwait(false);
                        response = await SendAsync(lease, request, cancellationToken).ConfigureAwait(false);
                    }
                    while (response is null);
                }
                catch (UpstreamCapacityException) when (last is not null)
                {
                    // No other key can take it: the caller gets the upstream's own answer.
                    break;
                }
                // Counted from its paced start, the answer's remaining requests say whether the upstream's window has room
                // for the starts granted after it (see StartAllowance).
                var outcome = _wire.ReadOutcome(response, _time.GetUtcNow(), lease.IsTrial) with { StartedAt = lease.IsPaced && !lease.IsTrial ? lease.Start : null };
                lease.Key.LearnWindow(UpstreamAnswers.Long(response.Headers, Api.RateLimitHeaders.LimitRequests));
                if (outcome.IsRateLimited)
                {
                    _metrics?.RateLimited(Name);
                }
                var call = new UpstreamCall(response, lease.Key.Id, lease.IsTrial, _wire, request.Stream, lease.LeaseId is null ? null : () => Pool.Release(lease.Key, lease.LeaseId));
                last?.Dispose();
                last = call;
                await ReportAsync(lease.Key, outcome).ConfigureAwait(false);
                if (!outcome.IsAuthFailure && !outcome.IsRateLimited)
                {
                    break;
                }
                if (outcome.IsAuthFailure)
                {
                    // Known here at once, so the unpaced fallback (store out of reach) leaves it out too.
                    UpstreamKeyPool.MarkDisabled(lease.Key, disabled: true);
                }
                if (KeyIsOutFor(outcome, deadline))
                {
                    skip |= 1UL << Pool.IndexOf(lease.Key);
                }
                // A 429 that ends within the wait leaves the key in the choice: its block is in the store now, so the
                // next acquisition waits for it unless another key can start sooner.
                LogTryingAnotherKey(_logger, Name, lease.Key.Id, outcome.StatusCode);
            }
            var result = last!;
            last = null;
            return result;
        }
        finally
        {
            last?.Dispose();
        }
    }

    /// <summary>Only headers have arrived and nothing was relayed, so a refusal that is about the key (not the request)
    /// is retried, on another key when this one cannot serve within the wait, without the client noticing.</summary>
    private static bool KeyIsOutFor(UpstreamCallOutcome outcome, DateTimeOffset deadline)
        => outcome.IsAuthFailure || (outcome.IsRateLimited && outcome.At + (outcome.RetryAfter ?? UpstreamKeyPolicy.DefaultRateLimitBlock) > deadline);

    /// <summary>Sends the call on its lease; null (nothing sent) when building the request took it past the start its
    /// lease allows, so that it asks for another start instead of leaving late.</summary>
    private async Task<HttpResponseMessage?> SendAsync(KeyLease lease, UpstreamRequest request, CancellationToken cancellationToken)
    {
        HttpRequestMessage message;
        try
        {
            message = _wire.CreateRequest(request, lease.Key);
        }
        catch
        {
            Pool.Release(lease.Key, lease.LeaseId);
            throw;
        }
        if (!Pool.IsOnTime(lease))
        {
            message.Dispose();
            Pool.Release(lease.Key, lease.LeaseId);
            return null;
        }
        try
        {
            return await _client.SendAsync(message, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is HttpRequestException || (e is OperationCanceledException && !request.CallerToken.IsCancellationRequested))
        {
            // No answer: a refused or cut connection, or the attempt's own timeout (not the caller giving up, which says
            // nothing about the key).
            Pool.Release(lease.Key, lease.LeaseId);
            await ReportAsync(lease.Key, new UpstreamCallOutcome(_time.GetUtcNow(), 0, lease.IsTrial)).ConfigureAwait(false);
            throw;
        }
        catch
        {
            Pool.Release(lease.Key, lease.LeaseId);
            throw;
        }
    }

    public ValueTask ReportFailureAsync(UpstreamCall call)
    {
        foreach (var key in Pool.Keys)
        {
            if (key.Id == call.KeyId)
            {
                return ReportAsync(key, new UpstreamCallOutcome(_time.GetUtcNow(), 0, call.WasTrial));
            }
        }
        return ValueTask.CompletedTask;
    }

    private async ValueTask ReportAsync(PoolKey key, UpstreamCallOutcome outcome)
    {
        if (!UpstreamKeyLearning.IsWorthReporting(outcome, key.RequestSpacing))
        {
            return;
        }
        // What the grain decides reaches the store; until this silo asks the store again, the key is not called on trust.
        key.EndQuiet();
        try
        {
            // Bounded: the answer must not wait long on the lesson (a lesson whose write is slow still lands).
            await key.Grain.ReportAsync(outcome).WaitAsync(ReportTimeout < Pool.Options.StoreTimeout ? ReportTimeout : Pool.Options.StoreTimeout, _time).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // Learning is best effort (a lost block or cool-down is relearnt from the next answer): the call itself has
            // an answer to relay.
            LogReportFailed(_logger, Name, key.Id, e);
        }
    }

    public void Dispose() => _client.Dispose();

    [LoggerMessage(EventId = 4110, Level = LogLevel.Warning, Message = "Upstream {Provider} refused key {KeyId} ({StatusCode}); trying another key of the pool.")]
    private static partial void LogTryingAnotherKey(ILogger logger, string provider, string keyId, int statusCode);

    [LoggerMessage(EventId = 4111, Level = LogLevel.Warning, Message = "Reporting the outcome of a call on upstream key {Provider}/{KeyId} failed.")]
    private static partial void LogReportFailed(ILogger logger, string provider, string keyId, Exception exception);
}
