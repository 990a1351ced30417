using System.Diagnostics.CodeAnalysis;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Parley.Grains.UpstreamKeys;
using Parley.Runtime;

namespace Parley.Silo.Providers;

/// <summary>A public model name resolved to the provider that serves it and the name the provider knows it by.</summary>
public sealed class CatalogModel(string id, string providerName, IChatProvider provider, string upstreamModel, string ownedBy, int? contextWindow, long created,
    TokenCounting tokens)
{
    public string Id { get; } = id;
    public string ProviderName { get; } = providerName;
    public IChatProvider Provider { get; } = provider;
    public string UpstreamModel { get; } = upstreamModel;

    /// <summary>Pre-encoded once, so rewriting a request does not re-escape the name each time.</summary>
    public JsonEncodedText UpstreamModelJson { get; } = JsonEncodedText.Encode(upstreamModel);
    public string OwnedBy { get; } = ownedBy;
    public int? ContextWindow { get; } = contextWindow;

    /// <summary>How this model's prompts are counted.</summary>
    public TokenCounting Tokens { get; } = tokens;

    /// <summary>Unix seconds reported by <c>/v1/models</c> (the time the catalog was built).</summary>
    public long Created { get; } = created;
}

/// <summary>The configured providers (one pooled client each) and the public models mapped onto them.</summary>
public sealed class ModelCatalog : IDisposable
{
    private readonly Dictionary<string, CatalogModel> _models;
    private readonly List<OpenAICompatibleProvider> _providers = [];

    public ModelCatalog(IOptions<UpstreamCatalogOptions> options, TimeProvider timeProvider, IServiceProvider services)
    {
        var catalog = options.Value;
        var created = timeProvider.GetUtcNow().ToUnixTimeSeconds();
        var providers = new Dictionary<string, IChatProvider>(StringComparer.Ordinal);
        var store = services.GetRequiredService<IUpstreamKeyStore>();
        var grains = services.GetRequiredService<IGrainFactory>();
        var loggers = services.GetRequiredService<ILoggerFactory>();
        var logger = loggers.CreateLogger<OpenAICompatibleProvider>();
        var poolLogger = loggers.CreateLogger<UpstreamKeyPool>();
        foreach (var (name, providerOptions) in catalog.Providers)
        {
            var pool = new UpstreamKeyPool(name, providerOptions, store, grains, timeProvider, poolLogger);
            var provider = new OpenAICompatibleProvider(name, providerOptions, BaseAddressOf(providerOptions, services), pool, timeProvider, logger);
            _providers.Add(provider);
            providers.Add(name, provider);
        }
        _models = new Dictionary<string, CatalogModel>(StringComparer.Ordinal);
        foreach (var (id, model) in catalog.Models)
        {
            // The options validator has already refused unknown providers; this only guards against skipping it.
            if (!providers.TryGetValue(model.Provider, out var provider))
            {
                throw new OptionsValidationException(nameof(UpstreamCatalogOptions), typeof(UpstreamCatalogOptions),
                    [$"Parley:Models:{id}:Provider '{model.Provider}' is not a configured provider."]);
            }
            var upstream = string.IsNullOrEmpty(model.UpstreamModel) ? id : model.UpstreamModel;
            _models.Add(id, new CatalogModel(id, model.Provider, provider, upstream, model.OwnedBy ?? ModelOptions.DefaultOwnedBy, model.ContextWindow, created,
                TokenCounting.For(upstream, model)));
        }
        Models = [.. _models.Values.OrderBy(m => m.Id, StringComparer.Ordinal)];
    }

    /// <summary>Every provider's key pool, in configuration order.</summary>
    internal IEnumerable<UpstreamKeyPool> KeyPools => _providers.Select(static p => p.Pool);

    /// <summary>Every public model, ordered by id.</summary>
    public IReadOnlyList<CatalogModel> Models { get; }

    public bool TryGetModel(string id, [NotNullWhen(true)] out CatalogModel? model) => _models.TryGetValue(id, out model);

    public void Dispose()
    {
        foreach (var provider in _providers)
        {
            provider.Dispose();
        }
    }

    private static Func<Uri> BaseAddressOf(ProviderOptions options, IServiceProvider services)
    {
        if (options.IsEmbeddedSimulator)
        {
            var simulator = (EmbeddedSimulatorHost?)services.GetService(typeof(EmbeddedSimulatorHost))
                ?? throw new InvalidOperationException("The embedded simulator provider is configured but the simulator is not hosted.");
            return () => simulator.BaseAddress;
        }
        var fixedAddress = new Uri(options.BaseUrl!, UriKind.Absolute);
        return () => fixedAddress;
    }
}
