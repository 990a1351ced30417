using System.Text.Json.Serialization;
using Parley.GrainInterfaces.Batches;

namespace Parley.Grains.Batches;

/// <summary>A batch's persisted state: what was asked, its status and timestamps (Unix seconds), and the files it wrote.
/// Per-line progress is not here but in the batch's append-only log (<see cref="IBatchProgressStore"/>), so a line costs
/// one append, not a state write. An empty <see cref="OwnerUserId"/> means "never created".</summary>
public sealed class BatchState
{
    public string OwnerUserId { get; set; } = "";
    public string KeyId { get; set; } = "";
    public string InputFileId { get; set; } = "";
    public string Endpoint { get; set; } = "";
    public string CompletionWindow { get; set; } = "";
    public Dictionary<string, string>? Metadata { get; set; }
    public string Status { get; set; } = BatchStatuses.Validating;

    /// <summary>While finalizing: the status the batch ends in (completed, expired or cancelled).</summary>
    public string? FinalStatus { get; set; }

    public long CreatedAt { get; set; }
    public long? InProgressAt { get; set; }
    public long? ExpiresAt { get; set; }
    public long? FinalizingAt { get; set; }
    public long? CompletedAt { get; set; }
    public long? FailedAt { get; set; }
    public long? ExpiredAt { get; set; }
    public long? CancellingAt { get; set; }
    public long? CancelledAt { get; set; }
    public int Total { get; set; }
    public int Completed { get; set; }
    public int Failed { get; set; }
    public string? OutputFileId { get; set; }
    public string? ErrorFileId { get; set; }
    public List<BatchError>? Errors { get; set; }
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(BatchState))]
public sealed partial class BatchStateJsonContext : JsonSerializerContext;
