using System.Collections.Concurrent;
using System.Collections.Frozen;
using Microsoft.Extensions.Options;
using Parley.Policy.Rules;

namespace Parley.Silo.Policy;

/// <summary>The configured policies, compiled once, and the effective policy of a request: the caller's (its key's,
/// else its user's, else <see cref="PolicyOptions.Default"/>) joined with its model's. Joined policies are compiled
/// once per pair and kept.</summary>
internal sealed class PolicyCatalog
{
    private readonly FrozenDictionary<string, CompiledPolicy> _policies;
    private readonly PolicyOptions _options;
    private readonly int _maxBirthYear;
    private readonly ConcurrentDictionary<(string?, string?), CompiledPolicy?> _effective = new();

    public PolicyCatalog(IOptions<PolicyOptions> options, TimeProvider timeProvider)
    {
        _options = options.Value;
        // A resident id's birth date may not lie in the future (checked to the year).
        _maxBirthYear = timeProvider.GetUtcNow().Year;
        _policies = _options.Policies.ToFrozenDictionary(p => p.Key, p => new CompiledPolicy(p.Key, p.Value.Rules.Select(r => r.ToRule()).ToList(), _maxBirthYear),
            StringComparer.Ordinal);
    }

    /// <summary>No policy could ever apply: the chat path skips every policy step.</summary>
    public bool IsEmpty => !_options.Enabled || _policies.Count == 0;

    public IReadOnlyDictionary<string, CompiledPolicy> Policies => _policies;

    public bool Contains(string name) => _policies.ContainsKey(name);

    /// <summary>The policy named for <paramref name="model"/>, if any.</summary>
    public string? ModelPolicy(string model) => _options.Models.TryGetValue(model, out var name) ? name : null;

    /// <summary>The policy of a caller whose key or user names <paramref name="assigned"/> (null: the default).</summary>
    public string? IdentityPolicy(string? assigned) => assigned ?? (string.IsNullOrEmpty(_options.Default) ? null : _options.Default);

    /// <summary>The effective policy (null: none applies).</summary>
    public CompiledPolicy? Resolve(string? identityPolicy, string? modelPolicy)
    {
        if (IsEmpty)
        {
            return null;
        }
        return _effective.GetOrAdd((identityPolicy, modelPolicy), static (key, catalog) =>
        {
            var identity = key.Item1 is { } i && catalog._policies.TryGetValue(i, out var a) ? a : null;
            var model = key.Item2 is { } m && catalog._policies.TryGetValue(m, out var b) ? b : null;
            return (identity, model) switch
            {
                (null, null) => null,
                ({ } only, null) => only,
                (null, { } only) => only,
                ({ } x, { } y) when ReferenceEquals(x, y) => x,
                ({ } x, { } y) => CompiledPolicy.Union(x, y, catalog._maxBirthYear),
            };
        }, this);
    }
}
