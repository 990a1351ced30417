using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Options;
using Parley.Documents.Pipeline;
using Parley.GrainInterfaces.Documents;
using Parley.Grains.Batches;
using Parley.Grains.Documents;
using Parley.Silo.Api;
using Parley.Silo.Auth;
using Parley.Silo.Batches;
using Parley.Silo.Chat;
using Parley.Silo.Cluster;
using Parley.Silo.Conversations;
using Parley.Silo.Providers;
using Parley.Tokenizer;
using Parley.Silo.OpenApi;

namespace Parley.Silo.Documents;

/// <summary>Long documents on the server (a Parley extension): <c>POST /v1/document_jobs</c> takes a text and a task
/// (summarize, or map with the caller's prompt), and a grain runs the chunk → parallel → merge pipeline that
/// <c>parley summarize</c> runs, through the silo's chat path as the caller; retrieve (progress, then the answer), list
/// and cancel. A job belongs to the user who created it; to anyone else it does not exist (404).</summary>
internal static class DocumentJobEndpoints
{
    public const string NotFoundCode = "document_job_not_found";
    public const int DefaultMaxOutputTokens = 512;
    public const int DefaultOverlapTokens = 100;
    public const int DefaultConcurrency = 4;
    public const int MaxConcurrency = 16;
    public const int MinChunkTokens = 16;
    public const string InputFilename = "document.txt";

    public static RouteGroupBuilder Map(RouteGroupBuilder group)
    {
        group.MapPost("/document_jobs", CreateAsync).AcceptsJson<CreateDocumentJobRequest>().Produces<DocumentJobObject>().RefusesWith(StatusCodes.Status404NotFound);
        group.MapGet("/document_jobs", ListAsync).Produces<DocumentJobList>().AcceptsQuery(BatchEndpoints.ListQuery("a document job id"));
        group.MapGet("/document_jobs/{jobId}", GetAsync).Produces<DocumentJobObject>();
        group.MapPost("/document_jobs/{jobId}/cancel", CancelAsync).NoRequestBody().Produces<DocumentJobObject>();
        return group;
    }

    private sealed class Request
    {
        public string? Model;
        public string? Input;
        public string Task = DocumentJobTasks.Summarize;
        public string? Prompt;
        public string? MergePrompt;
        public int MaxOutputTokens = DefaultMaxOutputTokens;
        public int? ChunkTokens;
        public int OverlapTokens = DefaultOverlapTokens;
        public int Concurrency = DefaultConcurrency;
        public IReadOnlyDictionary<string, string>? Metadata;
    }

    private static async Task<IResult> CreateAsync(HttpContext context, IGrainFactory grains, IBatchFileStore files, ModelCatalog catalog,
        IOptions<BatchOptions> batches, IOptions<ConversationOptions> conversations, TimeProvider time)
    {
        // The text is stored as a file: the body may be as large as a file, plus the JSON around the text.
        using var body = await JsonBodyReader.ReadObjectAsync(context, batches.Value.MaxFileBytes + (64 * 1024), allowEmpty: false);
        if (body.Error is { } bodyError)
        {
            return bodyError.ToResult();
        }
        var (request, error) = Parse(body.Root!.Value);
        if (error is not null)
        {
            return error.ToResult();
        }
        if (!catalog.TryGetModel(request!.Model!, out var model))
        {
            return ChatErrors.ModelNotFound(request.Model!).ToResult();
        }
        var window = model.ContextWindow ?? conversations.Value.DefaultContextWindow;
        var mapInstruction = request.Task == DocumentJobTasks.Map ? request.Prompt! : PipelineOptions.DefaultSummarizeMapInstruction;
        var reduceInstruction = request.Task == DocumentJobTasks.Map
            ? request.MergePrompt ?? PipelineOptions.DefaultMergeInstruction
            : PipelineOptions.DefaultSummarizeReduceInstruction;
        var options = new PipelineOptions
        {
            MapInstruction = mapInstruction,
            ReduceInstruction = reduceInstruction,
            ContextWindow = window,
            MaxOutputTokens = request.MaxOutputTokens,
            ChunkTokens = request.ChunkTokens,
            OverlapTokens = request.OverlapTokens,
            Concurrency = request.Concurrency,
        };
        try
        {
            // Refuses, before anything is stored, what the pipeline could never run: a window too small for the reply
            // allowance and the merging, an overlap as large as a chunk.
            _ = new MapReducePipeline(Unused.Instance, new Parley.Documents.Pacing.RequestPacer(null, time), TiktokenEncoding.Get(model.Tokens.Encoding), options);
        }
        catch (ArgumentException e)
        {
            return InputErrors.InvalidValue(request.ChunkTokens is not null ? "chunk_tokens" : "max_output_tokens",
                $"{e.Message} (The model '{model.Id}' has a context window of {window} tokens.)").ToResult();
        }
        var caller = context.GetCaller();
        var now = time.GetUtcNow();
        var text = Encoding.UTF8.GetBytes(request.Input!);
        var file = new StoredFile(BatchIds.NewFile(), caller.UserId, InputFilename, FilePurposes.UserData, text.Length, now.ToUnixTimeSeconds(),
            FileSequence.Next(now));
        await files.SaveAsync(file, text);
        while (true)
        {
            var info = await grains.GetGrain<IDocumentJobGrain>(DocumentJobIds.New()).CreateAsync(new DocumentJobCreation
            {
                UserId = caller.UserId,
                KeyId = caller.KeyId,
                Model = model.Id,
                Task = request.Task,
                InputFileId = file.Id,
                MapInstruction = mapInstruction,
                ReduceInstruction = reduceInstruction,
                ContextWindow = window,
                Encoding = model.Tokens.Encoding,
                MaxOutputTokens = request.MaxOutputTokens,
                ChunkTokens = request.ChunkTokens,
                OverlapTokens = request.OverlapTokens,
                Concurrency = request.Concurrency,
                Metadata = request.Metadata,
            });
            if (info is not null)
            {
                return Job(info);
            }
        }
    }

    private static (Request?, ApiError?) Parse(JsonElement root)
    {
        var request = new Request();
        foreach (var property in root.EnumerateObject())
        {
            ApiError? error = null;
            switch (property.Name)
            {
                case "model":
                    (request.Model, error) = BatchEndpoints.ReadString(property);
                    break;
                case "input":
                    (request.Input, error) = BatchEndpoints.ReadString(property);
                    if (error is null && string.IsNullOrWhiteSpace(request.Input))
                    {
                        error = InputErrors.InvalidValue("input", "Invalid 'input': the document is empty.");
                    }
                    break;
                case "task":
                    (var task, error) = BatchEndpoints.ReadString(property);
                    if (error is null && task is not (DocumentJobTasks.Summarize or DocumentJobTasks.Map))
                    {
                        error = InputErrors.InvalidValue("task", $"Invalid 'task': '{task}'. Expected '{DocumentJobTasks.Summarize}' or '{DocumentJobTasks.Map}'.");
                    }
                    request.Task = task ?? request.Task;
                    break;
                case "prompt":
                    (request.Prompt, error) = ReadInstruction(property);
                    break;
                case "merge_prompt":
                    (request.MergePrompt, error) = ReadInstruction(property);
                    break;
                case "max_output_tokens":
                    (request.MaxOutputTokens, error) = ReadInt(property, 1, int.MaxValue / 2);
                    break;
                case "chunk_tokens":
                    if (property.Value.ValueKind != JsonValueKind.Null)
                    {
                        (var chunk, error) = ReadInt(property, MinChunkTokens, int.MaxValue / 2);
                        request.ChunkTokens = chunk;
                    }
                    break;
                case "overlap_tokens":
                    (request.OverlapTokens, error) = ReadInt(property, 0, int.MaxValue / 2);
                    break;
                case "concurrency":
                    (request.Concurrency, error) = ReadInt(property, 1, MaxConcurrency);
                    break;
                case "metadata":
                    if (property.Value.ValueKind != JsonValueKind.Null)
                    {
                        (request.Metadata, error) = ConversationRequestParser.ParseMetadata(property.Value);
                    }
                    break;
                default:
                    error = InputErrors.Unknown(property.Name);
                    break;
            }
            if (error is not null)
            {
                return (null, error);
            }
        }
        if (request.Model is null)
        {
            return (null, InputErrors.Missing("model"));
        }
        if (request.Input is null)
        {
            return (null, InputErrors.Missing("input"));
        }
        if (request.Task == DocumentJobTasks.Map && request.Prompt is null)
        {
            return (null, InputErrors.Missing("prompt"));
        }
        if (request.Task == DocumentJobTasks.Summarize && (request.Prompt ?? request.MergePrompt) is not null)
        {
            var param = request.Prompt is not null ? "prompt" : "merge_prompt";
            return (null, InputErrors.InvalidValue(param, $"'{param}' is for the task '{DocumentJobTasks.Map}'; '{DocumentJobTasks.Summarize}' uses Parley's instructions."));
        }
        return (request, null);
    }

    private static async Task<IResult> GetAsync(string jobId, HttpContext context, IGrainFactory grains, ClusterCalls clusterCalls)
        => DocumentJobIds.Is(jobId)
            && await clusterCalls.RunAsync(() => grains.GetGrain<IDocumentJobGrain>(jobId).GetAsync(context.GetCaller().UserId),
                context.RequestAborted) is { } info
            ? Job(info)
            : NotFound(jobId);

    private static async Task<IResult> CancelAsync(string jobId, HttpContext context, IGrainFactory grains, ClusterCalls clusterCalls)
        => DocumentJobIds.Is(jobId)
            && await clusterCalls.RunAsync(() => grains.GetGrain<IDocumentJobGrain>(jobId).CancelAsync(context.GetCaller().UserId),
                context.RequestAborted) is { } info
            ? Job(info)
            : NotFound(jobId);

    /// <summary>after (a job id), limit (1-100, default 20); newest first.</summary>
    private static Task<IResult> ListAsync(HttpContext context, IGrainFactory grains, ClusterCalls clusterCalls, IBatchProgressStore index)
    {
        var userId = context.GetCaller().UserId;
        return BatchEndpoints.ListPageAsync(context, index, DocumentJobGrain.IndexOwner(userId), DocumentJobIds.Is, "a document job id",
            id => clusterCalls.RunAsync(() => grains.GetGrain<IDocumentJobGrain>(id).GetAsync(userId), context.RequestAborted).AsTask(),
            j => j.Id, DocumentJobJson.Job);
    }

    private static (string?, ApiError?) ReadInstruction(JsonProperty property)
    {
        var (value, error) = BatchEndpoints.ReadString(property);
        return error is null && string.IsNullOrWhiteSpace(value)
            ? (null, InputErrors.InvalidValue(property.Name, $"Invalid '{property.Name}': it must not be empty."))
            : (value, error);
    }

    private static (int, ApiError?) ReadInt(JsonProperty property, int min, int max)
    {
        if (property.Value.ValueKind != JsonValueKind.Number)
        {
            return (0, InputErrors.WrongType(property.Name, "an integer", property.Value.ValueKind));
        }
        return property.Value.TryGetInt64(out var value) && value >= min && value <= max
            ? ((int)value, null)
            : (0, InputErrors.InvalidValue(property.Name, $"Invalid '{property.Name}': expected an integer from {min} to {max}."));
    }

    private static IResult Job(DocumentJobInfo info) => BatchJson.Json(w => DocumentJobJson.Job(w, info));

    private static IResult NotFound(string jobId) => ApiErrors.NotFound($"No document job found with id '{jobId}'.", NotFoundCode);

    /// <summary>The backend of the pipeline built only to validate the settings; never called.</summary>
    private sealed class Unused : ICompletionBackend
    {
        public static readonly Unused Instance = new();

        public Task<CompletionResult> CompleteAsync(CompletionCall call, CancellationToken cancellationToken)
            => throw new InvalidOperationException("The validating pipeline makes no call.");
    }
}
