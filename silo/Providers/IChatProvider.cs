using Microsoft.AspNetCore.Http;

namespace Parley.Silo.Providers;

/// <summary>An upstream that answers OpenAI-shaped chat completions.</summary>
public interface IChatProvider
{
    string Name { get; }

    /// <summary>See <see cref="ProviderOptions.Timeout"/>.</summary>
    TimeSpan Timeout { get; }

    /// <summary>Sends an already rewritten request body and returns as soon as the response headers arrive; the caller
    /// reads (and disposes) the body. <paramref name="clientHeaders"/> is consulted only for the provider's
    /// <see cref="ProviderOptions.ForwardHeaders"/>.</summary>
    Task<HttpResponseMessage> SendChatCompletionAsync(ReadOnlyMemory<byte> body, IHeaderDictionary clientHeaders, CancellationToken cancellationToken);
}
