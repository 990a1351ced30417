using Parley.Silo.Resilience;

namespace Parley.Silo.Providers;

/// <summary>One upstream provider, bound from <c>Parley:Providers:&lt;name&gt;</c>: where it is, how it is spoken to, its
/// key pool, and how calls to it are timed out, retried and broken off.</summary>
public sealed class ProviderOptions
{
    public const string OpenAIType = "OpenAI";
    public const string AzureOpenAIType = "AzureOpenAI";
    public const string AnthropicType = "Anthropic";
    public const string DefaultAzureApiVersion = "2024-10-21";
    public const string DefaultAnthropicVersion = "2023-06-01";
    public const int DefaultAnthropicMaxTokens = 4096;

    public static IReadOnlyList<string> Types { get; } = [OpenAIType, AzureOpenAIType, AnthropicType];

    /// <summary>The wire protocol: <c>OpenAI</c> (OpenAI and every OpenAI-compatible endpoint: DeepSeek, Qwen's compatible
    /// mode, Moonshot, Ollama, vLLM), <c>AzureOpenAI</c> (deployment URLs, <c>api-version</c>, the <c>api-key</c> header) or
    /// <c>Anthropic</c> (the Messages API, translated both ways).</summary>
    public string Type { get; set; } = OpenAIType;

    /// <summary>The API root: <c>https://api.openai.com/v1</c> (chat/completions is appended), an Azure resource
    /// <c>https://&lt;resource&gt;.openai.azure.com</c> (openai/deployments/… is appended) or <c>https://api.anthropic.com</c>
    /// (v1/messages is appended). Null only for the embedded simulator, whose address is known once it has started.</summary>
    public string? BaseUrl { get; set; }

    /// <summary>A pool of one key (id <see cref="UpstreamKeyOptions.DefaultId"/>, no limits); empty for providers without
    /// keys (a local Ollama). Sent as the protocol wants it: <c>Authorization: Bearer</c>, <c>api-key</c> or <c>x-api-key</c>.</summary>
    public string? ApiKey { get; set; }

    /// <summary>Azure: the <c>api-version</c> query value (default <see cref="DefaultAzureApiVersion"/>). Anthropic: the
    /// <c>anthropic-version</c> header (default <see cref="DefaultAnthropicVersion"/>).</summary>
    public string? ApiVersion { get; set; }

    /// <summary>Anthropic requires <c>max_tokens</c>: sent when the client set neither max_tokens nor max_completion_tokens.</summary>
    public int DefaultMaxTokens { get; set; } = DefaultAnthropicMaxTokens;

    /// <summary>Where the provider runs (e.g. <c>eastus</c>); shown in <c>x-parley-region</c> and the admin API.</summary>
    public string? Region { get; set; }

    /// <summary>Extra headers sent on every upstream request (e.g. <c>OpenAI-Organization</c>).</summary>
    public Dictionary<string, string> Headers { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Client request headers passed to this upstream. Empty by default: client headers are never forwarded
    /// unless named here (tests use it to reach the simulator's fault injection).</summary>
    public List<string> ForwardHeaders { get; set; } = [];

    /// <summary>The provider's pool of keys, each with its own limits. Empty: <see cref="ApiKey"/> alone is the pool.</summary>
    public List<UpstreamKeyOptions> Keys { get; set; } = [];

    /// <summary>How the pool paces and rests its keys.</summary>
    public KeyPoolOptions Pool { get; set; } = new();

    /// <summary>Timeouts, retries and the circuit breaker of every deployment on this provider.</summary>
    public ResilienceOptions Resilience { get; set; } = new();

    /// <summary>Set for the provider Parley registers for its embedded simulator (not bindable from configuration).</summary>
    internal bool IsEmbeddedSimulator { get; set; }

    internal string EffectiveApiVersion => ApiVersion ?? (Type == AzureOpenAIType ? DefaultAzureApiVersion : DefaultAnthropicVersion);
}

/// <summary>All providers, models and routing rules. Bound from separate sections, so that each can be overridden by
/// environment variables such as <c>Parley__Providers__openai__ApiKey</c>.</summary>
public sealed class UpstreamCatalogOptions
{
    public const string ProvidersSection = "Parley:Providers";
    public const string ModelsSection = "Parley:Models";
    public const string RoutingSection = "Parley:Routing";

    public Dictionary<string, ProviderOptions> Providers { get; } = new(StringComparer.Ordinal);

    public Dictionary<string, ModelOptions> Models { get; } = new(StringComparer.Ordinal);

    public Routing.RoutingOptions Routing { get; } = new();
}
