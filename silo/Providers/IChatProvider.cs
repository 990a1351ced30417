using Microsoft.AspNetCore.Http;

namespace Parley.Silo.Providers;

/// <summary>An upstream that answers OpenAI-shaped chat completions.</summary>
public interface IChatProvider
{
    string Name { get; }

    /// <summary>See <see cref="ProviderOptions.Timeout"/>.</summary>
    TimeSpan Timeout { get; }

    /// <summary>Paces on the provider's key pool, sends an already rewritten request body, learns from the answer and
    /// returns as soon as the response headers arrive; the caller reads the body and disposes the call.
    /// <paramref name="tokenCost"/> is the prompt tokens plus the reply allowance (for token-per-minute pacing).
    /// <paramref name="clientHeaders"/> is consulted only for the provider's <see cref="ProviderOptions.ForwardHeaders"/>.</summary>
    /// <exception cref="UpstreamCapacityException">No key can start within the pool's MaxPacingWait.</exception>
    Task<UpstreamCall> SendChatCompletionAsync(ReadOnlyMemory<byte> body, IHeaderDictionary clientHeaders, int tokenCost, CancellationToken cancellationToken);
}

/// <summary>One upstream call in progress: its response (headers arrived, body unread) and the key it runs on.</summary>
public sealed class UpstreamCall : IDisposable
{
    private Action? _release;

    internal UpstreamCall(HttpResponseMessage response, string keyId, Action? release)
    {
        Response = response;
        KeyId = keyId;
        _release = release;
    }

    public HttpResponseMessage Response { get; }

    /// <summary>The pool key's id (never its secret).</summary>
    public string KeyId { get; }

    /// <summary>Releases the key's concurrency slot and disposes the response (after the body has been relayed).</summary>
    public void Dispose()
    {
        Interlocked.Exchange(ref _release, null)?.Invoke();
        Response.Dispose();
    }
}

/// <summary>No key of the provider's pool can start the call within its MaxPacingWait (all busy, blocked, cooling or
/// disabled). Answer 429 with <see cref="RetryAfter"/>.</summary>
public sealed class UpstreamCapacityException(string provider, TimeSpan retryAfter)
    : Exception($"No key of upstream provider '{provider}' can take the call within its pacing wait; retry after {retryAfter.TotalSeconds:0.###} s.")
{
    public string Provider { get; } = provider;

    /// <summary>When the soonest key could start (at least one second when unknown, e.g. every key is disabled).</summary>
    public TimeSpan RetryAfter { get; } = retryAfter;
}
