using System.Diagnostics.CodeAnalysis;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Parley.Grains.UpstreamKeys;
using Parley.Silo.Providers.Wire;
using Parley.Silo.Routing;

namespace Parley.Silo.Providers;

/// <summary>One deployment's place in a model group: its share within its priority, and its window.</summary>
internal sealed class DeploymentMember(Deployment deployment, int index, int weight, int priority, int? contextWindow)
{
    public Deployment Deployment { get; } = deployment;

    /// <summary>Position in the group (bit <c>Index</c> of a call's tried mask).</summary>
    public int Index { get; } = index;

    public int Weight { get; } = weight;

    public int Priority { get; } = priority;

    public int? ContextWindow { get; } = contextWindow;

    /// <summary>Smooth weighted round robin's running weight; guarded by the group's lock.</summary>
    public long CurrentWeight;
}

/// <summary>A public model name: the deployments behind it and how calls are split between them, and how its prompts
/// are counted.</summary>
internal sealed class CatalogModel
{
    /// <summary>Calls carry a 64-bit mask of the group's deployments they have tried.</summary>
    public const int MaxDeployments = 64;

    public CatalogModel(string id, string ownedBy, long created, TokenCounting tokens, IReadOnlyList<DeploymentMember> members, RoutingStrategy strategy,
        int? contextWindow)
    {
        Id = id;
        OwnedBy = ownedBy;
        Created = created;
        Tokens = tokens;
        Members = members;
        Strategy = strategy;
        var windows = members.Select(m => m.ContextWindow).ToList();
        ContextWindow = contextWindow ?? (windows.All(w => w is not null) ? windows.Min() : null);
        LargestContextWindow = windows.All(w => w is not null) ? windows.Max() : null;
    }

    public string Id { get; }

    public string OwnedBy { get; }

    /// <summary>Unix seconds reported by <c>/v1/models</c> (the time the catalog was built).</summary>
    public long Created { get; }

    /// <summary>How this model's prompts are counted (by the first deployment's upstream model).</summary>
    public TokenCounting Tokens { get; }

    /// <summary>By priority, then in configuration order.</summary>
    public IReadOnlyList<DeploymentMember> Members { get; }

    public RoutingStrategy Strategy { get; }

    /// <summary>The window conversations compress to: configured, else the smallest of the group (every deployment can
    /// take the prompt); null when a deployment's window is unknown.</summary>
    public int? ContextWindow { get; }

    /// <summary>The largest window of the group (a single request that fits none is refused before any call); null when
    /// a deployment's window is unknown (the upstream judges).</summary>
    public int? LargestContextWindow { get; }

    /// <summary>Tried when a deployment refuses on content policy.</summary>
    public CatalogModel? ContentPolicyFallback { get; internal set; }

    /// <summary>The deployment tried first (for the banner and the body's first model name).</summary>
    public Deployment Primary => Members[0].Deployment;

    public Lock SelectionLock { get; } = new();
}

/// <summary>The configured providers (one pooled client each), their deployments, the public models grouping them and the
/// request rules that pick a model.</summary>
internal sealed class ModelCatalog : IDisposable
{
    private readonly Dictionary<string, CatalogModel> _models;
    private readonly List<HttpChatProvider> _providers = [];

    public ModelCatalog(IOptions<UpstreamCatalogOptions> options, TimeProvider timeProvider, IServiceProvider services)
    {
        var catalog = options.Value;
        var created = timeProvider.GetUtcNow().ToUnixTimeSeconds();
        var store = services.GetRequiredService<IUpstreamKeyStore>();
        var grains = services.GetRequiredService<IGrainFactory>();
        var loggers = services.GetRequiredService<ILoggerFactory>();
        var providerLogger = loggers.CreateLogger<HttpChatProvider>();
        var poolLogger = loggers.CreateLogger<UpstreamKeyPool>();
        var deploymentLogger = loggers.CreateLogger<Deployment>();
        var metrics = services.GetRequiredService<RoutingMetrics>();
        var providers = new Dictionary<string, HttpChatProvider>(StringComparer.Ordinal);
        foreach (var (name, providerOptions) in catalog.Providers)
        {
            var pool = new UpstreamKeyPool(name, providerOptions, store, grains, timeProvider, poolLogger);
            var provider = new HttpChatProvider(name, providerOptions, WireFor(providerOptions, services, timeProvider), pool, timeProvider, providerLogger, metrics);
            _providers.Add(provider);
            providers.Add(name, provider);
        }
        var deployments = new Dictionary<(string, string), Deployment>();
        _models = new Dictionary<string, CatalogModel>(StringComparer.Ordinal);
        foreach (var (id, model) in catalog.Models)
        {
            var members = new List<DeploymentMember>();
            foreach (var (deployment, index) in DeploymentsOf(id, model).Select((d, i) => (d, i)).OrderBy(d => d.d.Priority).ThenBy(d => d.i))
            {
                // The options validator has already refused unknown providers; this only guards against skipping it.
                if (!providers.TryGetValue(deployment.Provider, out var provider))
                {
                    throw new OptionsValidationException(nameof(UpstreamCatalogOptions), typeof(UpstreamCatalogOptions),
                        [$"Parley:Models:{id}: provider '{deployment.Provider}' is not a configured provider."]);
                }
                var upstream = string.IsNullOrEmpty(deployment.UpstreamModel) ? id : deployment.UpstreamModel;
                if (!deployments.TryGetValue((provider.Name, upstream), out var shared))
                {
                    shared = new Deployment(provider, upstream, catalog.Routing, timeProvider, metrics, deploymentLogger);
                    deployments.Add((provider.Name, upstream), shared);
                }
                members.Add(new DeploymentMember(shared, members.Count, deployment.Weight, deployment.Priority, deployment.ContextWindow));
            }
            var tokens = TokenCounting.For(members[0].Deployment.Model.Name, model);
            _models.Add(id, new CatalogModel(id, model.OwnedBy ?? ModelOptions.DefaultOwnedBy, created, tokens, members, model.Strategy,
                model.Deployments.Count > 0 ? model.ContextWindow : null));
        }
        foreach (var (id, model) in catalog.Models)
        {
            if (model.ContentPolicyFallback is { } fallback)
            {
                _models[id].ContentPolicyFallback = _models[fallback];
            }
        }
        Deployments = [.. deployments.Values];
        Models = [.. _models.Values.OrderBy(m => m.Id, StringComparer.Ordinal)];
        Rules = new RoutingRules(catalog.Routing.Rules, _models);
    }

    /// <summary>Every provider's key pool, in configuration order.</summary>
    public IEnumerable<UpstreamKeyPool> KeyPools => _providers.Select(static p => p.Pool);

    /// <summary>Every deployment, each once however many groups name it.</summary>
    public IReadOnlyList<Deployment> Deployments { get; }

    /// <summary>Every public model, ordered by id.</summary>
    public IReadOnlyList<CatalogModel> Models { get; }

    /// <summary>The rules that pick a model from the request, and the names served by rules alone.</summary>
    public RoutingRules Rules { get; }

    public bool TryGetModel(string id, [NotNullWhen(true)] out CatalogModel? model) => _models.TryGetValue(id, out model);

    public void Dispose()
    {
        foreach (var provider in _providers)
        {
            provider.Dispose();
        }
    }

    /// <summary>A model's deployments: its list, or the one its shorthand names.</summary>
    public static IReadOnlyList<DeploymentOptions> DeploymentsOf(string id, ModelOptions model)
        => model.Deployments.Count > 0
            ? model.Deployments
            : [new DeploymentOptions { Provider = model.Provider, UpstreamModel = model.UpstreamModel, ContextWindow = model.ContextWindow }];

    private static IUpstreamWire WireFor(ProviderOptions options, IServiceProvider services, TimeProvider time)
    {
        var address = BaseAddressOf(options, services);
        return options.Type switch
        {
            ProviderOptions.AzureOpenAIType => new AzureOpenAIWire(options, address),
            ProviderOptions.AnthropicType => new AnthropicWire(options, address, time),
            _ => new OpenAIWire(options, address),
        };
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
