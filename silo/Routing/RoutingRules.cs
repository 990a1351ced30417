using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using Parley.Silo.Providers;

namespace Parley.Silo.Routing;

/// <summary>What a rule can look at in a request.</summary>
internal readonly record struct RequestTraits(int PromptTokens, bool HasTools, bool Stream);

/// <summary>One rule, resolved: its conditions and the model it sends matching requests to.</summary>
internal sealed class RoutingRule(string name, RoutingRuleOptions options, CatalogModel target)
{
    public string Name { get; } = name;

    public CatalogModel Target { get; } = target;

    public bool Matches(in RequestTraits request)
        => (options.MaxPromptTokens is not { } max || request.PromptTokens <= max)
            && (options.MinPromptTokens is not { } min || request.PromptTokens >= min)
            && (options.HasTools is not { } tools || request.HasTools == tools)
            && (options.Stream is not { } stream || request.Stream == stream);
}

/// <summary>The rules that pick the model from the request (<c>Parley:Routing:Rules</c>), by the name the client asked
/// for. A name that no model has is served by its rules alone (validated to end with an unconditional one).</summary>
internal sealed class RoutingRules
{
    private readonly Dictionary<string, RoutingRule[]> _byModel = new(StringComparer.Ordinal);
    private readonly Dictionary<string, CatalogModel> _virtualDefaults = new(StringComparer.Ordinal);

    public RoutingRules(IReadOnlyList<RoutingRuleOptions> rules, IReadOnlyDictionary<string, CatalogModel> models)
    {
        var grouped = new Dictionary<string, List<RoutingRule>>(StringComparer.Ordinal);
        for (var i = 0; i < rules.Count; i++)
        {
            var rule = rules[i];
            var name = string.IsNullOrEmpty(rule.Name) ? "rule-" + i.ToString(CultureInfo.InvariantCulture) : rule.Name;
            if (!grouped.TryGetValue(rule.Model, out var list))
            {
                grouped[rule.Model] = list = [];
            }
            list.Add(new RoutingRule(name, rule, models[rule.Target]));
        }
        foreach (var (model, list) in grouped)
        {
            _byModel[model] = [.. list];
            if (!models.ContainsKey(model))
            {
                Virtual.Add(model);
                _virtualDefaults[model] = list[^1].Target;
            }
        }
        Virtual.Sort(StringComparer.Ordinal);
    }

    /// <summary>Names served by rules alone, ordered (listed by <c>/v1/models</c>).</summary>
    public List<string> Virtual { get; } = [];

    /// <summary>For a name served by rules alone, the model it counts its prompt with before the rules decide: its last
    /// (unconditional) rule's target.</summary>
    public bool TryGetDefault(string requested, [NotNullWhen(true)] out CatalogModel? model) => _virtualDefaults.TryGetValue(requested, out model);

    /// <summary>The first rule for <paramref name="requested"/> that matches, or null (the request keeps its model).</summary>
    public RoutingRule? Match(string requested, in RequestTraits request)
    {
        if (!_byModel.TryGetValue(requested, out var rules))
        {
            return null;
        }
        foreach (var rule in rules)
        {
            if (rule.Matches(request))
            {
                return rule;
            }
        }
        return null;
    }
}
