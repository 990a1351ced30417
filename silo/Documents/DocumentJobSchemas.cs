using System.ComponentModel.DataAnnotations;
using Parley.GrainInterfaces.Documents;
using Parley.Silo.OpenApi;

namespace Parley.Silo.Documents;

// DocumentJobJson writes the job field by field; these types describe it for the OpenAPI document only (the contract
// run checks every answer against them).

/// <summary><c>POST /v1/document_jobs</c>: what <c>DocumentJobEndpoints.Parse</c> reads. <c>prompt</c> is required for
/// the task <c>map</c> and refused for <c>summarize</c>; so is <c>merge_prompt</c> for <c>summarize</c>.</summary>
[RequestSchema(Example = """{"model": "gpt-4o-mini", "input": "A long text. It goes on.", "task": "summarize", "max_output_tokens": 64, "overlap_tokens": 10, "concurrency": 2, "metadata": {"source": "report"}}""")]
public sealed class CreateDocumentJobRequest
{
    public required string Model { get; init; }

    /// <summary>The text, not empty or only whitespace.</summary>
    [MinLength(1), RegularExpression(@"\S")]
    public required string Input { get; init; }

    [AllowedValues(DocumentJobTasks.Summarize, DocumentJobTasks.Map)]
    public string? Task { get; init; }

    [MinLength(1), RegularExpression(@"\S")]
    public string? Prompt { get; init; }

    [MinLength(1), RegularExpression(@"\S")]
    public string? MergePrompt { get; init; }

    [Range(1, int.MaxValue / 2)]
    public int? MaxOutputTokens { get; init; }

    [NullAllowed]
    [Range(DocumentJobEndpoints.MinChunkTokens, int.MaxValue / 2)]
    public int? ChunkTokens { get; init; }

    [Range(0, int.MaxValue / 2)]
    public int? OverlapTokens { get; init; }

    [Range(1, DocumentJobEndpoints.MaxConcurrency)]
    public int? Concurrency { get; init; }

    [NullAllowed]
    [OpenAIMetadata]
    public IReadOnlyDictionary<string, string>? Metadata { get; init; }
}

public sealed record DocumentJobProgressObject([property: AllowedValues("chunk", "map", "reduce", null)] string? Stage, int Level, int Completed, int Total);

public sealed record DocumentJobUsageObject(int Calls, long PromptTokens, long CompletionTokens, long TotalTokens);

public sealed record DocumentJobErrorObject(string Code, string Message);

public sealed record DocumentJobObject(
    string Id,
    [property: AllowedValues("document_job")] string Object,
    string Model,
    [property: AllowedValues(DocumentJobTasks.Summarize, DocumentJobTasks.Map)] string Task,
    [property: AllowedValues(DocumentJobStatuses.Queued, DocumentJobStatuses.InProgress, DocumentJobStatuses.Completed, DocumentJobStatuses.Failed,
        DocumentJobStatuses.Cancelling, DocumentJobStatuses.Cancelled)] string Status,
    string InputFileId,
    long CreatedAt,
    long? InProgressAt,
    long? CompletedAt,
    long? FailedAt,
    long? CancelledAt,
    DocumentJobProgressObject Progress,
    int Chunks,
    int ReduceLevels,
    DocumentJobUsageObject Usage,
    string? Output,
    DocumentJobErrorObject? Error,
    IReadOnlyDictionary<string, string>? Metadata);

public sealed record DocumentJobList(
    [property: AllowedValues("list")] string Object,
    IReadOnlyList<DocumentJobObject> Data,
    string? FirstId,
    string? LastId,
    bool HasMore);

/// <summary><c>GET /admin/document_jobs/{jobId}</c>: the job and the silo whose grain holds it.</summary>
public sealed record DocumentJobInspection(string Silo, DocumentJobObject Job);
