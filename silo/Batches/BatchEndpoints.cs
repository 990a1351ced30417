using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Options;
using Parley.GrainInterfaces.Batches;
using Parley.Grains.Batches;
using Parley.Silo.Api;
using Parley.Silo.Auth;
using Parley.Silo.Chat;
using Parley.Silo.Cluster;
using Parley.Silo.Conversations;
using Parley.Silo.OpenApi;

namespace Parley.Silo.Batches;

/// <summary>The Batch API, shaped like OpenAI's: create, retrieve, list, cancel. A batch belongs to the user who
/// created it; to anyone else it does not exist (404).</summary>
internal static class BatchEndpoints
{
    public const string NotFoundCode = "batch_not_found";
    public const int DefaultListLimit = 20;
    public const int MaxListLimit = 100;

    public static RouteGroupBuilder Map(RouteGroupBuilder group)
    {
        group.MapPost("/batches", CreateAsync).AcceptsJson<CreateBatchRequest>().Produces<BatchObject>();
        group.MapGet("/batches", ListAsync).Produces<BatchList>().AcceptsQuery(ListQuery("a batch id"));
        group.MapGet("/batches/{batchId}", GetAsync).Produces<BatchObject>();
        group.MapPost("/batches/{batchId}/cancel", CancelAsync).NoRequestBody().Produces<BatchObject>();
        return group;
    }

    private static async Task<IResult> CreateAsync(HttpContext context, IGrainFactory grains, IBatchFileStore files, IOptions<ChatLimitsOptions> limits)
    {
        using var body = await JsonBodyReader.ReadObjectAsync(context, limits.Value.MaxRequestBodyBytes, allowEmpty: false);
        if (body.Error is { } bodyError)
        {
            return bodyError.ToResult();
        }
        string? inputFileId = null, endpoint = null, window = null;
        IReadOnlyDictionary<string, string>? metadata = null;
        foreach (var property in body.Root!.Value.EnumerateObject())
        {
            ApiError? error = null;
            switch (property.Name)
            {
                case "input_file_id":
                    (inputFileId, error) = ReadString(property);
                    break;
                case "endpoint":
                    (endpoint, error) = ReadString(property);
                    break;
                case "completion_window":
                    (window, error) = ReadString(property);
                    break;
                case "metadata":
                    if (property.Value.ValueKind != JsonValueKind.Null)
                    {
                        (metadata, error) = ConversationRequestParser.ParseMetadata(property.Value);
                    }
                    break;
                default:
                    error = InputErrors.Unknown(property.Name);
                    break;
            }
            if (error is not null)
            {
                return error.ToResult();
            }
        }
        if (inputFileId is null)
        {
            return InputErrors.Missing("input_file_id").ToResult();
        }
        if (endpoint is null)
        {
            return InputErrors.Missing("endpoint").ToResult();
        }
        if (window is null)
        {
            return InputErrors.Missing("completion_window").ToResult();
        }
        if (endpoint != BatchOptions.ChatCompletionsEndpoint)
        {
            return InputErrors.InvalidValue("endpoint", $"Invalid 'endpoint': '{endpoint}'. Parley runs batches of '{BatchOptions.ChatCompletionsEndpoint}' only.").ToResult();
        }
        if (window != BatchOptions.CompletionWindowName)
        {
            return InputErrors.InvalidValue("completion_window", $"Invalid 'completion_window': '{window}'. The only value supported is '{BatchOptions.CompletionWindowName}'.").ToResult();
        }
        var file = await FileEndpoints.OwnedAsync(inputFileId, context, files);
        if (file is null)
        {
            return ApiErrors.BadRequest($"Invalid 'input_file_id': no such file '{inputFileId}'.", "input_file_id", FileEndpoints.NotFoundCode);
        }
        if (file.Purpose != FilePurposes.Batch)
        {
            return InputErrors.InvalidValue("input_file_id", $"The file '{inputFileId}' was not uploaded with purpose 'batch'.").ToResult();
        }
        var caller = context.GetCaller();
        while (true)
        {
            var grain = grains.GetGrain<IBatchGrain>(BatchIds.NewBatch());
            var info = await grain.CreateAsync(new BatchCreation(caller.UserId, caller.KeyId, inputFileId, endpoint, window, metadata));
            if (info is not null)
            {
                return Batch(info);
            }
        }
    }

    private static async Task<IResult> GetAsync(string batchId, HttpContext context, IGrainFactory grains, ClusterCalls clusterCalls)
        => BatchIds.IsBatch(batchId)
            && await clusterCalls.RunAsync(() => grains.GetGrain<IBatchGrain>(batchId).GetAsync(context.GetCaller().UserId),
                context.RequestAborted) is { } info
            ? Batch(info)
            : NotFound(batchId);

    private static async Task<IResult> CancelAsync(string batchId, HttpContext context, IGrainFactory grains, ClusterCalls clusterCalls)
        => BatchIds.IsBatch(batchId)
            && await clusterCalls.RunAsync(() => grains.GetGrain<IBatchGrain>(batchId).CancelAsync(context.GetCaller().UserId),
                context.RequestAborted) is { } info
            ? Batch(info)
            : NotFound(batchId);

    /// <summary>after (a batch id), limit (1-100, default 20); newest first, as OpenAI lists them.</summary>
    private static Task<IResult> ListAsync(HttpContext context, IGrainFactory grains, ClusterCalls clusterCalls, IBatchProgressStore index)
    {
        var userId = context.GetCaller().UserId;
        return ListPageAsync(context, index, userId, BatchIds.IsBatch, "a batch id",
            id => clusterCalls.RunAsync(() => grains.GetGrain<IBatchGrain>(id).GetAsync(userId), context.RequestAborted).AsTask(),
            b => b.Id, BatchJson.Batch);
    }

    /// <summary>One page of a user's grains from an index of the batch log (<paramref name="indexOwner"/>): the query's
    /// after (<paramref name="idKind"/>) and limit (1-100, default 20) validated, newest first, in OpenAI's list envelope;
    /// ids the grain no longer answers for are left out.</summary>
    internal static async Task<IResult> ListPageAsync<T>(HttpContext context, IBatchProgressStore index, string indexOwner, Func<string?, bool> isId,
        string idKind, Func<string, Task<T?>> get, Func<T, string> id, Action<Utf8JsonWriter, T> write)
        where T : class
    {
        var query = context.Request.Query;
        var limit = DefaultListLimit;
        if (query.TryGetValue("limit", out var limitValues) && (limitValues.Count != 1
            || !int.TryParse(limitValues[0], NumberStyles.None, CultureInfo.InvariantCulture, out limit) || limit is < 1 or > MaxListLimit))
        {
            return InputErrors.InvalidValue("limit", $"Invalid 'limit': expected an integer from 1 to {MaxListLimit}.").ToResult();
        }
        var after = query.TryGetValue("after", out var afterValues) ? afterValues.ToString() : null;
        if (after is not null && !isId(after))
        {
            return InputErrors.InvalidValue("after", $"Invalid 'after': expected {idKind}.").ToResult();
        }
        var ids = await index.ListAsync(indexOwner, after, limit + 1);
        var items = await Task.WhenAll(ids.Take(limit).Select(get));
        var page = items.Where(i => i is not null).Select(i => i!).ToList();
        return BatchJson.Json(w => BatchJson.List(w, page, id, write, ids.Count > limit));
    }

    /// <summary>The query <see cref="ListPageAsync"/> reads, for the OpenAPI document.</summary>
    internal static QueryParameter[] ListQuery(string idKind) =>
    [
        new("limit", $"Objects per page (default {DefaultListLimit}), newest first.") { Minimum = 1, Maximum = MaxListLimit },
        new("after", $"{char.ToUpperInvariant(idKind[0])}{idKind[1..]}: the page starts after it."),
    ];

    internal static (string?, ApiError?) ReadString(JsonProperty property)
        => property.Value.ValueKind == JsonValueKind.String
            ? (property.Value.GetString(), null)
            : (null, InputErrors.WrongType(property.Name, "a string", property.Value.ValueKind));

    private static IResult Batch(BatchInfo info) => BatchJson.Json(w => BatchJson.Batch(w, info));

    private static IResult NotFound(string batchId) => ApiErrors.NotFound($"No batch found with id '{batchId}'.", NotFoundCode);
}
