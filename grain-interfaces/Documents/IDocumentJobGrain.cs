namespace Parley.GrainInterfaces.Documents;

/// <summary>One long-document job (key: the job id, <c>docjob_…</c>): a long text cut into token-exact chunks, one call
/// per chunk through the silo's chat path (map), the answers merged until one is left (reduce), with progress to poll.
/// Every call names the calling user: another user's job answers like a missing one (null).</summary>
public interface IDocumentJobGrain : IGrainWithStringKey
{
    /// <summary>Creates the job (status <c>queued</c>) and starts it. Null when the id is already taken.</summary>
    Task<DocumentJobInfo?> CreateAsync(DocumentJobCreation creation);

    Task<DocumentJobInfo?> GetAsync(string userId);

    /// <summary>Stops the job: no new call starts, the calls in flight are abandoned, the job ends <c>cancelled</c>.
    /// Null for a missing job; a finished job is returned unchanged.</summary>
    Task<DocumentJobInfo?> CancelAsync(string userId);

    /// <summary>For operators: the job whoever owns it, and the silo its activation lives on (Orleans' identity of it).</summary>
    Task<(DocumentJobInfo? Job, string Silo)> InspectAsync();

    /// <summary>The job's own run reports how it ended (called by the run, not by clients).</summary>
    Task FinishRunAsync(DocumentRunOutcome outcome);
}

/// <summary>What <c>POST /v1/document_jobs</c> asked for, validated by the silo (which also resolved the model's
/// context window and token encoding, and stored the text as the file <see cref="InputFileId"/>).</summary>
/// <param name="KeyId">The virtual key the job was created with: its calls are admitted against this key's and the
/// user's quotas.</param>
[GenerateSerializer, Immutable, Alias("parley.document-job-creation")]
public sealed record DocumentJobCreation
{
    [Id(0)] public required string UserId { get; init; }
    [Id(1)] public required string KeyId { get; init; }
    [Id(2)] public required string Model { get; init; }
    [Id(3)] public required string Task { get; init; }
    [Id(4)] public required string InputFileId { get; init; }
    [Id(5)] public required string MapInstruction { get; init; }
    [Id(6)] public required string ReduceInstruction { get; init; }
    [Id(7)] public required int ContextWindow { get; init; }
    [Id(8)] public required string Encoding { get; init; }
    [Id(9)] public required int MaxOutputTokens { get; init; }
    [Id(10)] public int? ChunkTokens { get; init; }
    [Id(11)] public required int OverlapTokens { get; init; }
    [Id(12)] public required int Concurrency { get; init; }
    [Id(13)] public IReadOnlyDictionary<string, string>? Metadata { get; init; }
}

/// <summary>How a run ended: <see cref="Output"/> when it completed, <see cref="Error"/> when it failed, neither when it
/// was stopped (cancelled, or its activation deactivated).</summary>
[GenerateSerializer, Immutable, Alias("parley.document-run-outcome")]
public sealed record DocumentRunOutcome
{
    [Id(0)] public required int Run { get; init; }
    [Id(1)] public string? Output { get; init; }
    [Id(2)] public DocumentJobError? Error { get; init; }
    [Id(3)] public int Chunks { get; init; }
    [Id(4)] public int ReduceLevels { get; init; }
    [Id(5)] public required DocumentJobUsage Usage { get; init; }
}
