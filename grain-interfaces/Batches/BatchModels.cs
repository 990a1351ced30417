namespace Parley.GrainInterfaces.Batches;

/// <summary>A batch as the Batch API shows it (OpenAI's Batch object). Times are Unix seconds, null until reached.</summary>
[GenerateSerializer, Immutable, Alias("parley.batch-info")]
public sealed record BatchInfo
{
    [Id(0)] public required string Id { get; init; }
    [Id(1)] public required string Endpoint { get; init; }
    [Id(2)] public required string InputFileId { get; init; }
    [Id(3)] public required string CompletionWindow { get; init; }
    [Id(4)] public required string Status { get; init; }
    [Id(5)] public string? OutputFileId { get; init; }
    [Id(6)] public string? ErrorFileId { get; init; }
    [Id(7)] public required long CreatedAt { get; init; }
    [Id(8)] public long? InProgressAt { get; init; }
    [Id(9)] public long? ExpiresAt { get; init; }
    [Id(10)] public long? FinalizingAt { get; init; }
    [Id(11)] public long? CompletedAt { get; init; }
    [Id(12)] public long? FailedAt { get; init; }
    [Id(13)] public long? ExpiredAt { get; init; }
    [Id(14)] public long? CancellingAt { get; init; }
    [Id(15)] public long? CancelledAt { get; init; }
    [Id(16)] public required BatchRequestCounts RequestCounts { get; init; }
    [Id(17)] public IReadOnlyDictionary<string, string>? Metadata { get; init; }
    [Id(18)] public IReadOnlyList<BatchError>? Errors { get; init; }
}

/// <param name="Completed">Lines answered with a 2xx.</param>
/// <param name="Failed">Lines answered otherwise, or not run (cancelled, expired, interrupted).</param>
[GenerateSerializer, Immutable, Alias("parley.batch-request-counts")]
public sealed record BatchRequestCounts([property: Id(0)] int Total, [property: Id(1)] int Completed, [property: Id(2)] int Failed);

/// <summary>Why a batch failed validation (OpenAI's <c>errors.data[]</c>).</summary>
/// <param name="Line">1-based line of the input file, when the error is about one line.</param>
[GenerateSerializer, Immutable, Alias("parley.batch-error")]
public sealed record BatchError([property: Id(0)] string Code, [property: Id(1)] string Message, [property: Id(2)] string? Param,
    [property: Id(3)] int? Line);

/// <summary>OpenAI's batch statuses.</summary>
public static class BatchStatuses
{
    public const string Validating = "validating";
    public const string Failed = "failed";
    public const string InProgress = "in_progress";
    public const string Finalizing = "finalizing";
    public const string Completed = "completed";
    public const string Expired = "expired";
    public const string Cancelling = "cancelling";
    public const string Cancelled = "cancelled";

    /// <summary>No line will run any more and the files are written.</summary>
    public static bool IsFinal(string status) => status is Completed or Failed or Expired or Cancelled;
}
