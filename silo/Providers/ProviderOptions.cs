namespace Parley.Silo.Providers;

/// <summary>One upstream provider, bound from <c>Parley:Providers:&lt;name&gt;</c>.</summary>
public sealed class ProviderOptions
{
    public const string OpenAIType = "OpenAI";
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(120);

    /// <summary>The wire protocol. Only <c>OpenAI</c> (any OpenAI-compatible chat completions API) exists so far.</summary>
    public string Type { get; set; } = OpenAIType;

    /// <summary>The API root that <c>chat/completions</c> is appended to, e.g. <c>https://api.openai.com/v1</c>.
    /// Null only for the embedded simulator, whose address is known once it has started.</summary>
    public string? BaseUrl { get; set; }

    /// <summary>Sent as <c>Authorization: Bearer</c>; empty for providers without keys (a local Ollama).</summary>
    public string? ApiKey { get; set; }

    /// <summary>Extra headers sent on every upstream request (e.g. <c>OpenAI-Organization</c>).</summary>
    public Dictionary<string, string> Headers { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Bounds the wait for the upstream's response headers and for each later read of its body, so a
    /// long stream that keeps producing tokens is never cut, but a silent upstream is.</summary>
    public TimeSpan Timeout { get; set; } = DefaultTimeout;

    /// <summary>Client request headers passed to this upstream. Empty by default: client headers are never forwarded
    /// unless named here (tests use it to reach the simulator's fault injection).</summary>
    public List<string> ForwardHeaders { get; set; } = [];

    /// <summary>The provider's pool of keys, each with its own limits. Empty: <see cref="ApiKey"/> alone is a pool of one
    /// key (id <see cref="UpstreamKeyOptions.DefaultId"/>, no limits).</summary>
    public List<UpstreamKeyOptions> Keys { get; set; } = [];

    /// <summary>How the pool paces and rests its keys.</summary>
    public KeyPoolOptions Pool { get; set; } = new();

    /// <summary>Set for the provider Parley registers for its embedded simulator (not bindable from configuration).</summary>
    internal bool IsEmbeddedSimulator { get; set; }
}

/// <summary>One public model name, bound from <c>Parley:Models:&lt;public name&gt;</c>.</summary>
public sealed class ModelOptions
{
    public const string DefaultOwnedBy = "parley";

    public string Provider { get; set; } = "";

    /// <summary>The model name sent upstream; defaults to the public name.</summary>
    public string? UpstreamModel { get; set; }

    /// <summary>The model's context window in tokens (prompt and reply together). Conversations compress to fit it,
    /// and a request that cannot fit is refused before the upstream call. Unset: conversations assume
    /// Parley:Conversations:DefaultContextWindow, and single requests are left for the upstream to judge.</summary>
    public int? ContextWindow { get; set; }

    /// <summary>The tokenizer encoding (<c>o200k_base</c> or <c>cl100k_base</c>) when OpenAI's model table does not
    /// know the upstream name (an Azure deployment, a fine-tune, a simulator). Counts with it are exact unless
    /// <see cref="EstimateTokens"/> says otherwise.</summary>
    public string? Encoding { get; set; }

    /// <summary>Marks token counts as estimates (another provider's model counted with an OpenAI encoding). Default:
    /// an estimate only when neither OpenAI's table nor <see cref="Encoding"/> gives the encoding.</summary>
    public bool? EstimateTokens { get; set; }

    public string? OwnedBy { get; set; }
}

/// <summary>All providers and models. Bound from two sections, so that each can be overridden by environment
/// variables such as <c>Parley__Providers__openai__ApiKey</c>.</summary>
public sealed class UpstreamCatalogOptions
{
    public const string ProvidersSection = "Parley:Providers";
    public const string ModelsSection = "Parley:Models";

    public Dictionary<string, ProviderOptions> Providers { get; } = new(StringComparer.Ordinal);

    public Dictionary<string, ModelOptions> Models { get; } = new(StringComparer.Ordinal);
}
