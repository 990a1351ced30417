using System.Collections.Concurrent;
using System.Net.Http.Headers;
using Parley.GrainInterfaces.UpstreamKeys;

namespace Parley.Silo.Providers.Wire;

/// <summary>OpenAI's chat completions API and every endpoint compatible with it: the body passes through as it is, the
/// key goes as <c>Authorization: Bearer</c>. Azure OpenAI differs only in its address and key header.</summary>
internal class OpenAIWire(ProviderOptions options, Func<Uri> baseAddress) : IUpstreamWire
{
    private static readonly MediaTypeHeaderValue JsonContentType = new("application/json");
    private const string ChatCompletionsPath = "chat/completions";

    private readonly KeyValuePair<string, string>[] _headers = [.. options.Headers];

    /// <summary>The provider's root (the embedded simulator's is known only once it listens).</summary>
    protected Func<Uri> BaseAddress { get; } = baseAddress;
    private readonly string[] _forwardHeaders = [.. options.ForwardHeaders];
    private volatile ResolvedUri? _resolved;

    public HttpRequestMessage CreateRequest(in UpstreamRequest request, PoolKey key)
    {
        var message = new HttpRequestMessage(HttpMethod.Post, UriFor(request.Model))
        {
            Content = new ReadOnlyMemoryContent(request.Body.For(request.Model)),
        };
        message.Content.Headers.ContentType = JsonContentType;
        Authenticate(message, key);
        WireHeaders.Add(message, _headers, _forwardHeaders, request.ClientHeaders);
        return message;
    }

    public virtual UpstreamCallOutcome ReadOutcome(HttpResponseMessage response, DateTimeOffset at, bool wasTrial)
        => UpstreamAnswers.Outcome(response, at, wasTrial);

    public ValueTask<UpstreamBodyStream> OpenBodyAsync(UpstreamCall call, CancellationToken cancellationToken)
        => UpstreamBodies.PassThroughAsync(call.Response, cancellationToken);

    public async ValueTask<UpstreamError> ReadErrorAsync(UpstreamCall call, CancellationToken cancellationToken)
    {
        using var body = await UpstreamBodies.ReadAsync(call.Response, cancellationToken).ConfigureAwait(false);
        return UpstreamBodies.ParseOpenAI(body.WrittenSpan);
    }

    protected virtual void Authenticate(HttpRequestMessage message, PoolKey key)
    {
        if (key.Authorization is { } authorization)
        {
            message.Headers.Authorization = authorization;
        }
    }

    protected virtual Uri UriFor(UpstreamModelName model)
    {
        var address = BaseAddress();
        var resolved = _resolved;
        if (resolved is null || !ReferenceEquals(resolved.Base, address))
        {
            resolved = new ResolvedUri(address, new Uri(WireUris.Root(address), ChatCompletionsPath));
            _resolved = resolved;
        }
        return resolved.Target;
    }

    private sealed record ResolvedUri(Uri Base, Uri Target);
}

/// <summary>Azure OpenAI: <c>{BaseUrl}/openai/deployments/{deployment}/chat/completions?api-version=…</c>, the key in the
/// <c>api-key</c> header. The deployment is the deployment's upstream model name.</summary>
internal sealed class AzureOpenAIWire(ProviderOptions options, Func<Uri> baseAddress) : OpenAIWire(options, baseAddress)
{
    private const string ApiKeyHeader = "api-key";

    private readonly string _apiVersion = Uri.EscapeDataString(options.EffectiveApiVersion);
    private readonly ConcurrentDictionary<string, Uri> _uris = new(StringComparer.Ordinal);

    protected override void Authenticate(HttpRequestMessage message, PoolKey key)
    {
        if (!string.IsNullOrEmpty(key.Options.ApiKey))
        {
            message.Headers.TryAddWithoutValidation(ApiKeyHeader, key.Options.ApiKey);
        }
    }

    protected override Uri UriFor(UpstreamModelName model)
        => _uris.GetOrAdd(model.Name, static (name, wire) => new Uri(WireUris.Root(wire.BaseAddress()),
            $"openai/deployments/{Uri.EscapeDataString(name)}/chat/completions?api-version={wire._apiVersion}"), this);
}

internal static class WireHeaders
{
    /// <summary>The provider's own headers, then the client headers it forwards.</summary>
    public static void Add(HttpRequestMessage message, KeyValuePair<string, string>[] headers, string[] forwardHeaders, Microsoft.AspNetCore.Http.IHeaderDictionary? clientHeaders)
    {
        foreach (var (header, value) in headers)
        {
            message.Headers.TryAddWithoutValidation(header, value);
        }
        if (clientHeaders is null)
        {
            return;
        }
        foreach (var header in forwardHeaders)
        {
            if (clientHeaders.TryGetValue(header, out var values))
            {
                message.Headers.TryAddWithoutValidation(header, (IEnumerable<string?>)values);
            }
        }
    }
}

internal static class WireUris
{
    /// <summary>A base without a trailing slash would lose its last segment ("/v1") when a relative path is combined.</summary>
    public static Uri Root(Uri address)
    {
        var text = address.AbsoluteUri;
        return text.EndsWith('/') ? address : new Uri(text + "/");
    }
}
