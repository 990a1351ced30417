using Microsoft.AspNetCore.Http;
using Parley.Silo.Providers.Wire;

namespace Parley.Silo.Providers;

/// <summary>An upstream that answers chat completions; whatever its protocol, what it hands back reads as OpenAI's.</summary>
internal interface IChatProvider
{
    string Name { get; }

    ProviderOptions Options { get; }

    /// <summary>Paces on the provider's key pool, sends the request, learns from the answer and returns as soon as the
    /// response headers arrive; the caller reads the body (or the error) and disposes the call. A refusal that is about
    /// the key (401/403, or a 429 longer than the pool's wait) is retried on another key of the pool first.</summary>
    /// <exception cref="UpstreamCapacityException">No key can start within the pool's MaxPacingWait.</exception>
    /// <exception cref="UpstreamRequestRejectedException">The request cannot be expressed in the provider's protocol.</exception>
    Task<UpstreamCall> SendAsync(UpstreamRequest request, CancellationToken cancellationToken);

    /// <summary>Teaches the call's key that its answer failed after the headers (no first byte in time, a cut, garbage).</summary>
    ValueTask ReportFailureAsync(UpstreamCall call);
}

/// <summary>One upstream call's input: the OpenAI-shaped body, the deployment's model, and what the key pool paces by.
/// <paramref name="ClientHeaders"/> is consulted only for the provider's <see cref="ProviderOptions.ForwardHeaders"/>.
/// <paramref name="CallerToken"/> is cancelled when the caller gives up, as opposed to an attempt timing out (which
/// counts against the key).</summary>
internal readonly record struct UpstreamRequest(UpstreamBody Body, UpstreamModelName Model, bool Stream, IHeaderDictionary? ClientHeaders, int TokenCost,
    CancellationToken CallerToken);

/// <summary>One upstream call in progress: its response (headers arrived, body unread), read through the provider's wire.</summary>
internal sealed class UpstreamCall : IDisposable
{
    private readonly IUpstreamWire _wire;
    private Action? _release;

    internal UpstreamCall(HttpResponseMessage response, string keyId, bool wasTrial, IUpstreamWire wire, bool stream, Action? release)
    {
        Response = response;
        KeyId = keyId;
        WasTrial = wasTrial;
        IsStream = stream;
        _wire = wire;
        _release = release;
    }

    public HttpResponseMessage Response { get; }

    public bool IsSuccess => Response.IsSuccessStatusCode;

    public int StatusCode => (int)Response.StatusCode;

    /// <summary>The pool key's id (never its secret).</summary>
    public string KeyId { get; }

    /// <summary>The call was the trial that decides whether a cooled key is back.</summary>
    public bool WasTrial { get; }

    public bool IsStream { get; }

    /// <summary>The body of a successful answer, in OpenAI's format (translated when the provider speaks another).</summary>
    public ValueTask<UpstreamBodyStream> OpenBodyAsync(CancellationToken cancellationToken) => _wire.OpenBodyAsync(this, cancellationToken);

    /// <summary>A refusal's error, in OpenAI's vocabulary; never throws for a malformed body.</summary>
    public ValueTask<UpstreamError> ReadErrorAsync(CancellationToken cancellationToken) => _wire.ReadErrorAsync(this, cancellationToken);

    /// <summary>Releases the key's concurrency slot and disposes the response (after the body has been relayed).</summary>
    public void Dispose()
    {
        Interlocked.Exchange(ref _release, null)?.Invoke();
        Response.Dispose();
    }
}

/// <summary>A successful answer's body as OpenAI would send it, with the media type and length to relay it with.</summary>
internal readonly record struct UpstreamBodyStream(Stream Stream, string? ContentType, long? ContentLength);

/// <summary>What an upstream said when it refused: its status and OpenAI-vocabulary error fields (each may be missing).</summary>
internal readonly record struct UpstreamError(string? Message, string? Type, string? Code, string? Param);

/// <summary>No key of the provider's pool can start the call within its MaxPacingWait (all busy, blocked, cooling or
/// disabled).</summary>
public sealed class UpstreamCapacityException(string provider, TimeSpan retryAfter)
    : Exception($"No key of upstream provider '{provider}' can take the call within its pacing wait; retry after {retryAfter.TotalSeconds:0.###} s.")
{
    /// <summary>When the soonest key could start (at least one second when unknown, e.g. every key is disabled).</summary>
    public TimeSpan RetryAfter { get; } = retryAfter;
}

/// <summary>The request uses something the provider's protocol cannot express (e.g. n &gt; 1 for Anthropic): the
/// client's mistake for this model, answered as a 400 without calling the upstream.</summary>
internal sealed class UpstreamRequestRejectedException(Api.ApiError error) : Exception(error.Message)
{
    public Api.ApiError Error { get; } = error;
}
