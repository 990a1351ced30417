using Microsoft.Extensions.Options;

namespace Parley.Silo.Providers;

/// <summary>Refuses to start with a provider or model that could only fail later, at the first request.</summary>
internal sealed class UpstreamCatalogOptionsValidator : IValidateOptions<UpstreamCatalogOptions>
{
    public ValidateOptionsResult Validate(string? name, UpstreamCatalogOptions options)
    {
        var failures = new List<string>();
        foreach (var (providerName, provider) in options.Providers)
        {
            if (!string.Equals(provider.Type, ProviderOptions.OpenAIType, StringComparison.OrdinalIgnoreCase))
            {
                failures.Add($"Parley:Providers:{providerName}:Type '{provider.Type}' is not supported (supported: {ProviderOptions.OpenAIType}).");
            }
            if (!provider.IsEmbeddedSimulator && !IsHttpUrl(provider.BaseUrl))
            {
                failures.Add($"Parley:Providers:{providerName}:BaseUrl must be an absolute http(s) URL.");
            }
            if (provider.Timeout <= TimeSpan.Zero)
            {
                failures.Add($"Parley:Providers:{providerName}:Timeout must be positive.");
            }
            KeyPoolValidation.Validate(providerName, provider, failures);
        }
        foreach (var (modelName, model) in options.Models)
        {
            if (string.IsNullOrWhiteSpace(model.Provider))
            {
                failures.Add($"Parley:Models:{modelName}:Provider is required.");
            }
            else if (!options.Providers.ContainsKey(model.Provider))
            {
                failures.Add($"Parley:Models:{modelName}:Provider '{model.Provider}' is not a configured provider (Parley:Providers).");
            }
            if (model.ContextWindow is <= 0)
            {
                failures.Add($"Parley:Models:{modelName}:ContextWindow must be positive.");
            }
            if (model.Encoding is { } encoding && !Parley.Tokenizer.TiktokenEncoding.TryGet(encoding, out _))
            {
                failures.Add($"Parley:Models:{modelName}:Encoding '{encoding}' is not supported (supported: o200k_base, cl100k_base).");
            }
        }
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static bool IsHttpUrl(string? value)
        => Uri.TryCreate(value, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps);
}
