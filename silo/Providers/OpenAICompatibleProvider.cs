using System.Net.Http.Headers;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Parley.GrainInterfaces.UpstreamKeys;
using Parley.Grains.UpstreamKeys;

namespace Parley.Silo.Providers;

/// <summary>Any OpenAI-compatible chat completions API (OpenAI, DeepSeek, Qwen's compatible mode, Ollama, vLLM, the
/// simulator). One pooled connection handler per provider lives as long as the silo; every call is paced on one key of
/// the provider's <see cref="UpstreamKeyPool"/>.</summary>
internal sealed partial class OpenAICompatibleProvider : IChatProvider, IDisposable
{
    // Recycles pooled connections so DNS changes (a provider moving behind its load balancer) are picked up.
    private static readonly TimeSpan PooledConnectionLifetime = TimeSpan.FromMinutes(2);
    private static readonly TimeSpan PooledConnectionIdleTimeout = TimeSpan.FromMinutes(1);
    private static readonly TimeSpan MaxConnectTimeout = TimeSpan.FromSeconds(10);
    private static readonly MediaTypeHeaderValue JsonContentType = new("application/json");
    private const string ChatCompletionsPath = "chat/completions";

    private readonly HttpClient _client;
    private readonly Func<Uri> _baseAddress;
    private readonly KeyValuePair<string, string>[] _headers;
    private readonly string[] _forwardHeaders;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private volatile ResolvedUri? _resolved;

    public OpenAICompatibleProvider(string name, ProviderOptions options, Func<Uri> baseAddress, UpstreamKeyPool pool, TimeProvider time, ILogger logger)
    {
        Name = name;
        Timeout = options.Timeout;
        Pool = pool;
        _baseAddress = baseAddress;
        _time = time;
        _logger = logger;
        _headers = [.. options.Headers];
        _forwardHeaders = [.. options.ForwardHeaders];
        var handler = new SocketsHttpHandler
        {
            PooledConnectionLifetime = PooledConnectionLifetime,
            PooledConnectionIdleTimeout = PooledConnectionIdleTimeout,
            ConnectTimeout = options.Timeout < MaxConnectTimeout ? options.Timeout : MaxConnectTimeout,
            AllowAutoRedirect = false,
            UseCookies = false,
            UseProxy = false,
        };
        // Timeouts are applied per request by the caller (headers, then each body read), never as a whole-call limit
        // that would cut long streams.
        _client = new HttpClient(handler, disposeHandler: true) { Timeout = System.Threading.Timeout.InfiniteTimeSpan };
    }

    public string Name { get; }

    public TimeSpan Timeout { get; }

    public UpstreamKeyPool Pool { get; }

    public async Task<UpstreamCall> SendChatCompletionAsync(ReadOnlyMemory<byte> body, IHeaderDictionary clientHeaders, int tokenCost, CancellationToken cancellationToken)
    {
        var started = _time.GetUtcNow();
        var deadline = started + Pool.Options.MaxPacingWait;
        UpstreamCall? last = null;
        ulong skip = 0;
        try
        {
            // A refusal for the key takes it out of this request's choice, so attempts are bounded by the keys (plus one
            // wait on a key that asked for less than the remaining wait).
            for (var attempt = 0; attempt <= Pool.Keys.Count; attempt++)
            {
                KeyLease lease;
                try
                {
                    lease = await Pool.AcquireAsync(tokenCost, deadline, skip, cancellationToken).ConfigureAwait(false);
                }
                catch (UpstreamCapacityException) when (last is not null)
                {
                    // No other key can take it: the client gets the upstream's own answer.
                    break;
                }
                var response = await SendAsync(lease, body, clientHeaders, started, cancellationToken).ConfigureAwait(false);
                var outcome = UpstreamAnswers.Outcome(response, _time.GetUtcNow(), lease.IsTrial);
                var call = new UpstreamCall(response, lease.Key.Id, lease.LeaseId is null ? null : () => Pool.Release(lease.Key, lease.LeaseId));
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

    private async Task<HttpResponseMessage> SendAsync(KeyLease lease, ReadOnlyMemory<byte> body, IHeaderDictionary clientHeaders, DateTimeOffset started,
        CancellationToken cancellationToken)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, ChatCompletionsUri())
        {
            Content = new ReadOnlyMemoryContent(body),
        };
        request.Content.Headers.ContentType = JsonContentType;
        if (lease.Key.Authorization is { } authorization)
        {
            request.Headers.Authorization = authorization;
        }
        foreach (var (header, value) in _headers)
        {
            request.Headers.TryAddWithoutValidation(header, value);
        }
        foreach (var header in _forwardHeaders)
        {
            if (clientHeaders.TryGetValue(header, out var values))
            {
                request.Headers.TryAddWithoutValidation(header, (IEnumerable<string?>)values);
            }
        }
        try
        {
            return await _client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is HttpRequestException || (e is OperationCanceledException && _time.GetUtcNow() - started >= Timeout))
        {
            // No answer: a refused or cut connection, or the caller's header timeout (armed when this call began, so
            // a cancellation after Timeout is that timeout, not a client leaving early).
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

    private async ValueTask ReportAsync(PoolKey key, UpstreamCallOutcome outcome)
    {
        if (!UpstreamKeyLearning.IsWorthReporting(outcome, key.RequestSpacing))
        {
            return;
        }
        try
        {
            // Bounded like an acquisition: with the store out of reach, the answer must not wait on the lesson.
            await key.Grain.ReportAsync(outcome).WaitAsync(Pool.Options.StoreTimeout, _time).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // Learning is best effort (a lost block or cool-down is relearnt from the next answer): the call itself has
            // an answer to relay.
            LogReportFailed(_logger, Name, key.Id, e);
        }
    }

    private Uri ChatCompletionsUri()
    {
        var baseAddress = _baseAddress();
        var resolved = _resolved;
        if (resolved is null || !ReferenceEquals(resolved.Base, baseAddress))
        {
            // A base without a trailing slash would lose its last segment ("/v1") when combined.
            var text = baseAddress.AbsoluteUri;
            var root = text.EndsWith('/') ? baseAddress : new Uri(text + "/");
            resolved = new ResolvedUri(baseAddress, new Uri(root, ChatCompletionsPath));
            _resolved = resolved;
        }
        return resolved.Target;
    }

    private sealed record ResolvedUri(Uri Base, Uri Target);

    public void Dispose() => _client.Dispose();

    [LoggerMessage(EventId = 4110, Level = LogLevel.Warning, Message = "Upstream {Provider} refused key {KeyId} ({StatusCode}); trying another key of the pool.")]
    private static partial void LogTryingAnotherKey(ILogger logger, string provider, string keyId, int statusCode);

    [LoggerMessage(EventId = 4111, Level = LogLevel.Warning, Message = "Reporting the outcome of a call on upstream key {Provider}/{KeyId} failed.")]
    private static partial void LogReportFailed(ILogger logger, string provider, string keyId, Exception exception);
}
