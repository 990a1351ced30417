using System.ComponentModel.DataAnnotations;
using Microsoft.AspNetCore.Http;
using Parley.GrainInterfaces.Batches;
using Parley.Grains.Batches;
using Parley.Silo.OpenApi;

namespace Parley.Silo.Batches;

// The Files and Batch APIs write their objects field by field (BatchJson, in OpenAI's order); these types describe
// those objects for the OpenAPI document only. The contract run (tests/Parley.Silo.Tests/OpenApi) checks every answer
// against them, so a field written and not described here, or described and not written, fails it.

/// <summary><c>POST /v1/batches</c>: what <c>BatchEndpoints.CreateAsync</c> reads.</summary>
[RequestSchema(Example = """{"input_file_id": "file-abc123", "endpoint": "/v1/chat/completions", "completion_window": "24h", "metadata": {"run": "nightly"}}""")]
public sealed class CreateBatchRequest
{
    /// <summary>A file of the caller's uploaded with purpose <c>batch</c>.</summary>
    public required string InputFileId { get; init; }

    [AllowedValues(BatchOptions.ChatCompletionsEndpoint)]
    public required string Endpoint { get; init; }

    [AllowedValues(BatchOptions.CompletionWindowName)]
    public required string CompletionWindow { get; init; }

    [NullAllowed]
    [OpenAIMetadata]
    public IReadOnlyDictionary<string, string>? Metadata { get; init; }
}

/// <summary><c>POST /v1/files</c> (multipart/form-data): the JSON Lines file and its purpose.</summary>
[RequestSchema]
public sealed class UploadFileRequest
{
    public required IFormFile File { get; init; }

    [AllowedValues(FilePurposes.Batch)]
    public required string Purpose { get; init; }
}

public sealed record FileObject(
    string Id,
    [property: AllowedValues("file")] string Object,
    long Bytes,
    long CreatedAt,
    long? ExpiresAt,
    string Filename,
    [property: AllowedValues(FilePurposes.Batch, FilePurposes.BatchOutput, FilePurposes.UserData)] string Purpose,
    [property: AllowedValues("processed")] string Status,
    string? StatusDetails);

public sealed record FileList(
    [property: AllowedValues("list")] string Object,
    IReadOnlyList<FileObject> Data,
    string? FirstId,
    string? LastId,
    bool HasMore);

public sealed record DeletedObject(string Id, [property: AllowedValues("file")] string Object, bool Deleted);

public sealed record BatchErrorEntry(string Code, string Message, string? Param, int? Line);

public sealed record BatchErrorList([property: AllowedValues("list")] string Object, IReadOnlyList<BatchErrorEntry> Data);

public sealed record BatchRequestCounts(int Total, int Completed, int Failed);

public sealed record BatchObject(
    string Id,
    [property: AllowedValues("batch")] string Object,
    string Endpoint,
    BatchErrorList? Errors,
    string InputFileId,
    string CompletionWindow,
    [property: AllowedValues(BatchStatuses.Validating, BatchStatuses.Failed, BatchStatuses.InProgress, BatchStatuses.Finalizing, BatchStatuses.Completed,
        BatchStatuses.Expired, BatchStatuses.Cancelling, BatchStatuses.Cancelled)] string Status,
    string? OutputFileId,
    string? ErrorFileId,
    long CreatedAt,
    long? InProgressAt,
    long? ExpiresAt,
    long? FinalizingAt,
    long? CompletedAt,
    long? FailedAt,
    long? ExpiredAt,
    long? CancellingAt,
    long? CancelledAt,
    BatchRequestCounts RequestCounts,
    IReadOnlyDictionary<string, string>? Metadata);

public sealed record BatchList(
    [property: AllowedValues("list")] string Object,
    IReadOnlyList<BatchObject> Data,
    string? FirstId,
    string? LastId,
    bool HasMore);

/// <summary><c>GET /admin/batches/{batchId}</c>: the batch and the silo whose grain holds it.</summary>
public sealed record BatchInspection(string Silo, BatchObject Batch);
