using Parley.Tokenizer;
using Parley.Tokenizer.Chat;

namespace Parley.Silo.Providers;

/// <summary>The encoding a model's prompts are counted with, and whether the count is exact (an OpenAI model, or an
/// encoding the operator configured) or an estimate (another provider's model counted with o200k_base).</summary>
public sealed class TokenCounting
{
    /// <summary>Used for models nobody said anything about: the newest OpenAI encoding is the closer guess for
    /// today's models.</summary>
    public const string FallbackEncoding = TiktokenEncoding.O200kBaseName;

    private TokenCounting(string encoding, bool isEstimate)
    {
        Encoding = encoding;
        IsEstimate = isEstimate;
        Counter = ChatTokenCounter.ForEncoding(encoding);
    }

    public string Encoding { get; }

    public bool IsEstimate { get; }

    public ChatTokenCounter Counter { get; }

    public static TokenCounting For(string upstreamModel, ModelOptions options)
    {
        var known = ModelEncodings.GetEncodingName(upstreamModel);
        var encoding = options.Encoding ?? known ?? FallbackEncoding;
        var estimate = options.EstimateTokens ?? (options.Encoding is null && known is null);
        return new TokenCounting(TiktokenEncoding.Get(encoding).Name, estimate);
    }
}
