using Microsoft.Extensions.Options;
using Parley.Silo.Resilience;
using Parley.Silo.Routing;

namespace Parley.Silo.Providers;

/// <summary>Refuses to start with a provider, model or rule that could only fail later, at the first request.</summary>
internal sealed class UpstreamCatalogOptionsValidator : IValidateOptions<UpstreamCatalogOptions>
{
    public ValidateOptionsResult Validate(string? name, UpstreamCatalogOptions options)
    {
        var failures = new List<string>();
        foreach (var (providerName, provider) in options.Providers)
        {
            var prefix = $"Parley:Providers:{providerName}";
            if (!ProviderOptions.Types.Contains(provider.Type, StringComparer.Ordinal))
            {
                failures.Add($"{prefix}:Type '{provider.Type}' is not supported (supported: {string.Join(", ", ProviderOptions.Types)}).");
            }
            if (!provider.IsEmbeddedSimulator && !IsHttpUrl(provider.BaseUrl))
            {
                failures.Add($"{prefix}:BaseUrl must be an absolute http(s) URL.");
            }
            if (provider.DefaultMaxTokens <= 0)
            {
                failures.Add($"{prefix}:DefaultMaxTokens must be positive.");
            }
            ResilienceValidation.Validate(prefix + ":Resilience", provider.Resilience, failures);
            KeyPoolValidation.Validate(providerName, provider, failures);
        }
        foreach (var (modelName, model) in options.Models)
        {
            ValidateModel(options, modelName, model, failures);
        }
        ValidateRouting(options, failures);
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static void ValidateModel(UpstreamCatalogOptions options, string modelName, ModelOptions model, List<string> failures)
    {
        var prefix = $"Parley:Models:{modelName}";
        if (model.Deployments.Count > 0 && (!string.IsNullOrEmpty(model.Provider) || !string.IsNullOrEmpty(model.UpstreamModel)))
        {
            failures.Add($"{prefix}: set either Provider/UpstreamModel (one deployment) or Deployments, not both.");
        }
        if (model.Deployments.Count == 0 && string.IsNullOrWhiteSpace(model.Provider))
        {
            failures.Add($"{prefix}:Provider (or Deployments) is required.");
        }
        if (model.Deployments.Count > CatalogModel.MaxDeployments)
        {
            failures.Add($"{prefix}:Deployments holds {model.Deployments.Count}; a model takes at most {CatalogModel.MaxDeployments}.");
        }
        var deployments = ModelCatalog.DeploymentsOf(modelName, model);
        var at = model.Deployments.Count > 0 ? prefix + ":Deployments:" : null;
        for (var i = 0; i < deployments.Count; i++)
        {
            var deployment = deployments[i];
            var where = at is null ? prefix : at + i;
            if (!string.IsNullOrWhiteSpace(deployment.Provider) && !options.Providers.ContainsKey(deployment.Provider))
            {
                failures.Add($"{where}:Provider '{deployment.Provider}' is not a configured provider (Parley:Providers).");
            }
            else if (at is not null && string.IsNullOrWhiteSpace(deployment.Provider))
            {
                failures.Add($"{where}:Provider is required.");
            }
            if (deployment.Weight <= 0)
            {
                failures.Add($"{where}:Weight must be positive.");
            }
            if (deployment.Priority < 0)
            {
                failures.Add($"{where}:Priority must be 0 or more.");
            }
            if (deployment.ContextWindow is <= 0)
            {
                failures.Add($"{where}:ContextWindow must be positive.");
            }
        }
        if (model.Deployments.Count > 0 && model.ContextWindow is <= 0)
        {
            failures.Add($"{prefix}:ContextWindow must be positive.");
        }
        if (model.Encoding is { } encoding && !Parley.Tokenizer.TiktokenEncoding.TryGet(encoding, out _))
        {
            failures.Add($"{prefix}:Encoding '{encoding}' is not supported (supported: o200k_base, cl100k_base).");
        }
        if (model.ContentPolicyFallback is { } fallback && (fallback == modelName || !options.Models.ContainsKey(fallback)))
        {
            failures.Add($"{prefix}:ContentPolicyFallback '{fallback}' must name another configured model.");
        }
    }

    private static void ValidateRouting(UpstreamCatalogOptions options, List<string> failures)
    {
        var routing = options.Routing;
        if (!(routing.LatencySmoothing > 0 && routing.LatencySmoothing <= 1))
        {
            failures.Add($"{UpstreamCatalogOptions.RoutingSection}:LatencySmoothing must be in (0, 1].");
        }
        if (routing.ProbeInterval <= TimeSpan.Zero)
        {
            failures.Add($"{UpstreamCatalogOptions.RoutingSection}:ProbeInterval must be positive.");
        }
        for (var i = 0; i < routing.Rules.Count; i++)
        {
            var rule = routing.Rules[i];
            var where = $"{UpstreamCatalogOptions.RoutingSection}:Rules:{i}";
            if (string.IsNullOrWhiteSpace(rule.Model))
            {
                failures.Add($"{where}:Model (the name the client asks for) is required.");
            }
            if (!options.Models.ContainsKey(rule.Target))
            {
                failures.Add($"{where}:Target '{rule.Target}' is not a configured model.");
            }
            if (rule.MaxPromptTokens is < 0 || rule.MinPromptTokens is < 0)
            {
                failures.Add($"{where}: prompt token bounds must be 0 or more.");
            }
        }
        foreach (var rules in routing.Rules.GroupBy(r => r.Model, StringComparer.Ordinal))
        {
            if (!options.Models.ContainsKey(rules.Key) && !rules.Last().IsUnconditional)
            {
                failures.Add($"{UpstreamCatalogOptions.RoutingSection}:Rules for '{rules.Key}' (a name no model has) must end with a rule without conditions.");
            }
        }
    }

    private static bool IsHttpUrl(string? value)
        => Uri.TryCreate(value, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps);
}
