using System.Net.Http.Headers;
using Microsoft.AspNetCore.Http;

namespace Parley.Silo.Providers;

/// <summary>Any OpenAI-compatible chat completions API (OpenAI, DeepSeek, Qwen's compatible mode, Ollama, vLLM, the
/// simulator). One pooled connection handler per provider lives as long as the silo.</summary>
internal sealed class OpenAICompatibleProvider : IChatProvider, IDisposable
{
    // Recycles pooled connections so DNS changes (a provider moving behind its load balancer) are picked up.
    private static readonly TimeSpan PooledConnectionLifetime = TimeSpan.FromMinutes(2);
    private static readonly TimeSpan PooledConnectionIdleTimeout = TimeSpan.FromMinutes(1);
    private static readonly TimeSpan MaxConnectTimeout = TimeSpan.FromSeconds(10);
    private static readonly MediaTypeHeaderValue JsonContentType = new("application/json");
    private const string ChatCompletionsPath = "chat/completions";

    private readonly HttpClient _client;
    private readonly Func<Uri> _baseAddress;
    private readonly AuthenticationHeaderValue? _authorization;
    private readonly KeyValuePair<string, string>[] _headers;
    private readonly string[] _forwardHeaders;
    private volatile ResolvedUri? _resolved;

    public OpenAICompatibleProvider(string name, ProviderOptions options, Func<Uri> baseAddress)
    {
        Name = name;
        Timeout = options.Timeout;
        _baseAddress = baseAddress;
        _authorization = string.IsNullOrEmpty(options.ApiKey) ? null : new AuthenticationHeaderValue("Bearer", options.ApiKey);
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

    public Task<HttpResponseMessage> SendChatCompletionAsync(ReadOnlyMemory<byte> body, IHeaderDictionary clientHeaders, CancellationToken cancellationToken)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, ChatCompletionsUri())
        {
            Content = new ReadOnlyMemoryContent(body),
        };
        request.Content.Headers.ContentType = JsonContentType;
        if (_authorization is not null)
        {
            request.Headers.Authorization = _authorization;
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
        return _client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
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
}
