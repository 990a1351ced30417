using System.Text.Json.Serialization;
using Parley.GrainInterfaces.Documents;

namespace Parley.Grains.Documents;

/// <summary>A document job's persisted state: what was asked, its status, timestamps (Unix seconds), the last progress
/// written, and the outcome. Each call's answer is not here but in the job's append-only log
/// (<see cref="Batches.IBatchProgressStore"/>), so a call costs one append and a resumed run reuses every answer.
/// An empty <see cref="OwnerUserId"/> means "never created".</summary>
public sealed class DocumentJobState
{
    public string OwnerUserId { get; set; } = "";
    public string KeyId { get; set; } = "";
    public string Model { get; set; } = "";
    public string Task { get; set; } = DocumentJobTasks.Summarize;
    public string InputFileId { get; set; } = "";
    public string MapInstruction { get; set; } = "";
    public string ReduceInstruction { get; set; } = "";
    public int ContextWindow { get; set; }
    public string Encoding { get; set; } = "";
    public int MaxOutputTokens { get; set; }
    public int? ChunkTokens { get; set; }
    public int OverlapTokens { get; set; }
    public int Concurrency { get; set; }
    public Dictionary<string, string>? Metadata { get; set; }
    public string Status { get; set; } = DocumentJobStatuses.Queued;

    /// <summary>Runs started so far: each activation that runs the job takes the next number, and its calls are
    /// recorded in the log under it.</summary>
    public int Runs { get; set; }

    public long CreatedAt { get; set; }
    public long? InProgressAt { get; set; }
    public long? CompletedAt { get; set; }
    public long? FailedAt { get; set; }
    public long? CancelledAt { get; set; }
    public string? Stage { get; set; }
    public int Level { get; set; }
    public int StageCompleted { get; set; }
    public int StageTotal { get; set; }
    public int Chunks { get; set; }
    public int ReduceLevels { get; set; }
    public int Calls { get; set; }
    public long PromptTokens { get; set; }
    public long CompletionTokens { get; set; }
    public string? Output { get; set; }
    public string? ErrorCode { get; set; }
    public string? ErrorMessage { get; set; }
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(DocumentJobState))]
public sealed partial class DocumentJobStateJsonContext : JsonSerializerContext;
