using Microsoft.Extensions.Options;
using Parley.GrainInterfaces.UpstreamKeys;
using Parley.Grains.UpstreamKeys;

namespace Parley.Silo.Providers;

/// <summary>Each configured key's learning policy, from its provider's pool settings.</summary>
internal sealed class UpstreamKeyPolicies(IOptions<UpstreamCatalogOptions> options) : IUpstreamKeyPolicies
{
    private readonly Lazy<Dictionary<string, UpstreamKeyPolicy>> _policies = new(() => Build(options.Value));

    public UpstreamKeyPolicy Get(string key) => _policies.Value.TryGetValue(key, out var policy) ? policy : UpstreamKeyPolicy.Default;

    private static Dictionary<string, UpstreamKeyPolicy> Build(UpstreamCatalogOptions catalog)
    {
        var policies = new Dictionary<string, UpstreamKeyPolicy>(StringComparer.Ordinal);
        foreach (var (provider, options) in catalog.Providers)
        {
            var pool = options.Pool;
            var keys = options.Keys.Count > 0 ? options.Keys : [new UpstreamKeyOptions { Id = UpstreamKeyOptions.DefaultId }];
            foreach (var key in keys)
            {
                policies[UpstreamKeyName.For(provider, key.Id)] = new UpstreamKeyPolicy(pool.ErrorsBeforeCooldown, pool.ErrorWindow, pool.Cooldown,
                    UpstreamKeyPool.SpacingOf(key.RequestsPerMinute, pool.PacingMargin));
            }
        }
        return policies;
    }
}
