using Parley.GrainInterfaces.UpstreamKeys;

namespace Parley.Silo.Providers.Wire;

/// <summary>One upstream protocol: how a call is addressed and authenticated, what the answer's headers teach the key
/// pool, and how the answer (or refusal) is read as OpenAI's.</summary>
internal interface IUpstreamWire
{
    /// <summary>The HTTP request of one attempt on <paramref name="key"/>.</summary>
    /// <exception cref="UpstreamRequestRejectedException">The protocol cannot express the request.</exception>
    HttpRequestMessage CreateRequest(in UpstreamRequest request, PoolKey key);

    /// <summary>What the response headers say about the key (status, Retry-After, remaining requests and tokens).</summary>
    UpstreamCallOutcome ReadOutcome(HttpResponseMessage response, DateTimeOffset at, bool wasTrial);

    ValueTask<UpstreamBodyStream> OpenBodyAsync(UpstreamCall call, CancellationToken cancellationToken);

    ValueTask<UpstreamError> ReadErrorAsync(UpstreamCall call, CancellationToken cancellationToken);
}
