namespace Parley.Silo.Providers;

/// <summary>The simulator the silo hosts by default (<c>Parley:Simulator:Enabled</c>), so a first run works without any
/// provider key. It is a simulator: it answers with generated filler text, not a language model.</summary>
public static class EmbeddedSimulator
{
    public const string SectionName = "Parley:Simulator";
    public const string EnabledKey = SectionName + ":Enabled";
    public const string ProviderName = "simulator";
    public const string ModelName = "parley-sim";
    public const string OwnedBy = "parley-simulator";

    /// <summary>The simulated model's window; the embedded simulator refuses longer prompts as OpenAI does.</summary>
    public const int ContextWindow = 128_000;
    // The simulator accepts any non-empty key; this one only exists so the upstream call is shaped like a real one.
    internal const string ApiKey = "parley-embedded-simulator";

    /// <summary>Adds the simulator provider and the <c>parley-sim</c> model, unless configuration defines them itself.</summary>
    internal static void AddTo(UpstreamCatalogOptions options)
    {
        options.Providers.TryAdd(ProviderName, new ProviderOptions
        {
            Type = ProviderOptions.OpenAIType,
            ApiKey = ApiKey,
            IsEmbeddedSimulator = true,
        });
        // The simulator counts unknown model names with o200k_base, so the silo's counts for it are exact.
        options.Models.TryAdd(ModelName, new ModelOptions
        {
            Provider = ProviderName,
            OwnedBy = OwnedBy,
            ContextWindow = ContextWindow,
            Encoding = Parley.Tokenizer.TiktokenEncoding.O200kBaseName,
        });
    }
}
