namespace Parley.Documents.Pipeline;

/// <summary>Settings of one chunk → map → reduce run.</summary>
public sealed record PipelineOptions
{
    public const string DefaultSummarizeMapInstruction =
        "Summarize the following part of a longer document. Keep every important fact, name, number and conclusion; "
        + "write plain prose without an introduction.";
    public const string DefaultSummarizeReduceInstruction =
        "The following are summaries of consecutive parts of one document, in order. Merge them into one coherent summary "
        + "of the whole document, keeping the important facts, names, numbers and conclusions.";
    public const string DefaultMergeInstruction =
        "The following are answers to the same request, each about one consecutive part of a longer document, in order. "
        + "Merge them into one answer about the whole document, without repeating yourself.";

    /// <summary>The system message of every map call; the chunk is the user message.</summary>
    public required string MapInstruction { get; init; }

    /// <summary>The system message of every reduce call; the numbered partial results are the user message.</summary>
    public required string ReduceInstruction { get; init; }

    /// <summary>The model's context window in tokens: every prompt plus <see cref="MaxOutputTokens"/> fits in it.</summary>
    public int ContextWindow { get; init; } = 8192;

    /// <summary>Each call's reply allowance (sent as max_tokens).</summary>
    public int MaxOutputTokens { get; init; } = 512;

    /// <summary>Chunk size; null for as large as the window allows.</summary>
    public int? ChunkTokens { get; init; }

    public int OverlapTokens { get; init; } = 100;

    /// <summary>Calls in flight at once (the pacer limits how fast they start).</summary>
    public int Concurrency { get; init; } = 4;

    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(MapInstruction) || string.IsNullOrWhiteSpace(ReduceInstruction))
        {
            throw new ArgumentException("The map and reduce instructions must not be empty.");
        }
        if (MaxOutputTokens < 1 || ContextWindow < 1 || Concurrency < 1 || OverlapTokens < 0 || ChunkTokens is < 1)
        {
            throw new ArgumentException("The context window, reply allowance, chunk size and concurrency must be positive, the overlap not negative.");
        }
    }
}
