namespace Parley.GrainInterfaces.Documents;

/// <summary>A document job as <c>/v1/document_jobs</c> shows it. Times are Unix seconds, null until reached.</summary>
[GenerateSerializer, Immutable, Alias("parley.document-job-info")]
public sealed record DocumentJobInfo
{
    [Id(0)] public required string Id { get; init; }
    [Id(1)] public required string Model { get; init; }
    [Id(2)] public required string Task { get; init; }
    [Id(3)] public required string Status { get; init; }
    [Id(4)] public required string InputFileId { get; init; }
    [Id(5)] public required long CreatedAt { get; init; }
    [Id(6)] public long? InProgressAt { get; init; }
    [Id(7)] public long? CompletedAt { get; init; }
    [Id(8)] public long? FailedAt { get; init; }
    [Id(9)] public long? CancelledAt { get; init; }
    [Id(10)] public required DocumentJobProgress Progress { get; init; }
    [Id(11)] public int Chunks { get; init; }
    [Id(12)] public int ReduceLevels { get; init; }
    [Id(13)] public required DocumentJobUsage Usage { get; init; }
    [Id(14)] public string? Output { get; init; }
    [Id(15)] public DocumentJobError? Error { get; init; }
    [Id(16)] public IReadOnlyDictionary<string, string>? Metadata { get; init; }
}

/// <param name="Stage"><c>chunk</c>, <c>map</c> or <c>reduce</c> (null before the run starts).</param>
/// <param name="Level">0 for the chunk and map stages; 1, 2, … for the rounds of merging.</param>
/// <param name="Completed">Calls of the stage answered (for <c>chunk</c>: the chunks made).</param>
/// <param name="Total">Calls the stage makes.</param>
[GenerateSerializer, Immutable, Alias("parley.document-job-progress")]
public sealed record DocumentJobProgress([property: Id(0)] string? Stage, [property: Id(1)] int Level, [property: Id(2)] int Completed,
    [property: Id(3)] int Total)
{
    public static DocumentJobProgress None { get; } = new(null, 0, 0, 0);
}

/// <param name="Calls">Calls answered, over every run of the job (a call answered before a silo died counts once).</param>
[GenerateSerializer, Immutable, Alias("parley.document-job-usage")]
public sealed record DocumentJobUsage([property: Id(0)] int Calls, [property: Id(1)] long PromptTokens, [property: Id(2)] long CompletionTokens)
{
    public static DocumentJobUsage None { get; } = new(0, 0, 0);
}

/// <param name="Code">The failed call's error code (e.g. <c>context_length_exceeded</c>), or Parley's
/// (<c>input_file_missing</c>, <c>call_interrupted</c>).</param>
[GenerateSerializer, Immutable, Alias("parley.document-job-error")]
public sealed record DocumentJobError([property: Id(0)] string Code, [property: Id(1)] string Message);

/// <summary>A document job's statuses: <c>queued</c> → <c>in_progress</c> → <c>completed</c> | <c>failed</c>, or
/// <c>cancelling</c> → <c>cancelled</c>.</summary>
public static class DocumentJobStatuses
{
    public const string Queued = "queued";
    public const string InProgress = "in_progress";
    public const string Completed = "completed";
    public const string Failed = "failed";
    public const string Cancelling = "cancelling";
    public const string Cancelled = "cancelled";

    public static bool IsFinal(string status) => status is Completed or Failed or Cancelled;
}

/// <summary>What a job does to each chunk: <c>summarize</c> (Parley's instructions), or <c>map</c> (the caller's).</summary>
public static class DocumentJobTasks
{
    public const string Summarize = "summarize";
    public const string Map = "map";
}
