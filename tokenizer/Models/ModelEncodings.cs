namespace Parley.Tokenizer;

/// <summary>
/// Which encoding an OpenAI model uses, by name prefix in the manner of tiktoken's model table. A model not
/// listed (another provider's, or one configured under an unknown name) has no encoding: the caller counts with
/// a fallback and marks the count as an estimate.
/// </summary>
public static class ModelEncodings
{
    // Ordered: the first matching prefix wins, so every more specific prefix precedes the ones it extends
    // (gpt-4o and gpt-4.1 before gpt-4).
    private static readonly (string Prefix, string Encoding)[] s_prefixes =
    [
        ("gpt-4o", TiktokenEncoding.O200kBaseName),
        ("chatgpt-4o", TiktokenEncoding.O200kBaseName),
        ("gpt-4.1", TiktokenEncoding.O200kBaseName),
        ("gpt-4.5", TiktokenEncoding.O200kBaseName),
        ("gpt-5", TiktokenEncoding.O200kBaseName),
        ("o1", TiktokenEncoding.O200kBaseName),
        ("o3", TiktokenEncoding.O200kBaseName),
        ("o4", TiktokenEncoding.O200kBaseName),
        ("gpt-4", TiktokenEncoding.Cl100kBaseName),
        ("gpt-3.5", TiktokenEncoding.Cl100kBaseName),
        ("gpt-35", TiktokenEncoding.Cl100kBaseName), // Azure OpenAI spells it without the dot
        ("text-embedding-3", TiktokenEncoding.Cl100kBaseName),
        ("text-embedding-ada-002", TiktokenEncoding.Cl100kBaseName),
    ];

    // Fine-tuned models are named "ft:<base model>:<org>:<suffix>:<id>" and use their base model's encoding.
    private const string FineTunedPrefix = "ft:";

    /// <summary>The encoding name for <paramref name="model"/> (case-insensitive), or null if unknown.</summary>
    public static string? GetEncodingName(string? model)
    {
        if (string.IsNullOrWhiteSpace(model))
        {
            return null;
        }

        var name = model.AsSpan().Trim();
        if (name.StartsWith(FineTunedPrefix, StringComparison.OrdinalIgnoreCase))
        {
            name = name[FineTunedPrefix.Length..];
        }

        foreach (var (prefix, encoding) in s_prefixes)
        {
            if (name.StartsWith(prefix, StringComparison.OrdinalIgnoreCase))
            {
                return encoding;
            }
        }

        return null;
    }

    /// <summary>The encoding for <paramref name="model"/>, or null if the model is unknown.</summary>
    public static TiktokenEncoding? ForModel(string? model) =>
        GetEncodingName(model) is { } name ? TiktokenEncoding.Get(name) : null;
}
