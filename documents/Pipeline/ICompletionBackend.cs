using Parley.Tokenizer;
using Parley.Tokenizer.Chat;

namespace Parley.Documents.Pipeline;

/// <summary>Where the pipeline's model calls go: the CLI sends them to a Parley server over HTTP, a server can send
/// them through its own chat path. Retrying a failed call is the backend's business; the pipeline paces the calls
/// and sends each chunk once.</summary>
public interface ICompletionBackend
{
    Task<CompletionResult> CompleteAsync(CompletionCall call, CancellationToken cancellationToken);
}

public enum PipelineStage
{
    Chunk,
    Map,
    Reduce,
}

/// <param name="Level">0 for the map stage; 1, 2, … for the reduce levels.</param>
/// <param name="Index">The chunk's (map) or group's (reduce) position in its stage.</param>
/// <param name="PromptTokens">The prompt's exact size as counted by the pipeline (chat format included).</param>
public sealed record CompletionCall(PipelineStage Stage, int Level, int Index, IReadOnlyList<ChatMessage> Messages, int PromptTokens, int MaxOutputTokens);

public sealed record CompletionResult(string Text, int PromptTokens = 0, int CompletionTokens = 0);

/// <summary>Progress of one stage: for the chunk stage Total is the number of chunks made.</summary>
public sealed record PipelineProgress(PipelineStage Stage, int Level, int Done, int Total);
