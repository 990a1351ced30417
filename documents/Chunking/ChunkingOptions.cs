namespace Parley.Documents.Chunking;

/// <summary>How a document is cut: at most <see cref="MaxTokens"/> tokens per chunk, counted exactly; each chunk after
/// the first repeats up to <see cref="OverlapTokens"/> tokens (whole sentences) from the end of the one before.</summary>
public sealed record ChunkingOptions(int MaxTokens, int OverlapTokens = 0)
{
    public void Validate()
    {
        if (MaxTokens < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxTokens), MaxTokens, "A chunk must hold at least one token.");
        }
        if (OverlapTokens < 0 || OverlapTokens >= MaxTokens)
        {
            throw new ArgumentOutOfRangeException(nameof(OverlapTokens), OverlapTokens, "The overlap must be at least 0 and smaller than the chunk size.");
        }
    }
}
