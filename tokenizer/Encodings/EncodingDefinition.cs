namespace Parley.Tokenizer;

/// <summary>What distinguishes one encoding from another: its rank file, split pattern and special tokens
/// (copied from the encoding's published definition).</summary>
internal sealed record EncodingDefinition(
    string Name,
    string Pattern,
    PreTokenizer PreTokenizer,
    IReadOnlyDictionary<string, int> SpecialTokens,
    int ExpectedTokenCount)
{
    public static readonly EncodingDefinition Cl100kBase = new(
        TiktokenEncoding.Cl100kBaseName,
        Cl100kPreTokenizer.Pattern,
        Cl100kPreTokenizer.Instance,
        new Dictionary<string, int>(StringComparer.Ordinal)
        {
            ["<|endoftext|>"] = 100257,
            ["<|fim_prefix|>"] = 100258,
            ["<|fim_middle|>"] = 100259,
            ["<|fim_suffix|>"] = 100260,
            ["<|endofprompt|>"] = 100276,
        },
        ExpectedTokenCount: 100256);

    public static readonly EncodingDefinition O200kBase = new(
        TiktokenEncoding.O200kBaseName,
        O200kPreTokenizer.Pattern,
        O200kPreTokenizer.Instance,
        new Dictionary<string, int>(StringComparer.Ordinal)
        {
            ["<|endoftext|>"] = 199999,
            ["<|endofprompt|>"] = 200018,
        },
        ExpectedTokenCount: 199998);

    public static EncodingDefinition? Find(string name) => name switch
    {
        TiktokenEncoding.Cl100kBaseName => Cl100kBase,
        TiktokenEncoding.O200kBaseName => O200kBase,
        _ => null,
    };
}
