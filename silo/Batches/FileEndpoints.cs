using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Options;
using Parley.Grains.Batches;
using Parley.Silo.Api;
using Parley.Silo.Auth;
using Parley.Silo.OpenApi;

namespace Parley.Silo.Batches;

/// <summary>The Files API for batches, shaped like OpenAI's: upload (multipart, <c>purpose=batch</c>, the JSON Lines
/// checked line by line), list, retrieve, content, delete. A file belongs to the user who uploaded it (or whose batch
/// wrote it); to anyone else it does not exist (404).</summary>
internal static class FileEndpoints
{
    public const string NotFoundCode = "file_not_found";
    public const string InvalidFileCode = "invalid_batch_file";
    public const string FileTooLargeCode = "file_too_large";
    public const int MaxListLimit = 10_000;

    // Room for the multipart boundaries and the purpose field around the file itself.
    private const long MultipartOverheadBytes = 64 * 1024;
    private const int MaxFilenameLength = 255;

    public static RouteGroupBuilder Map(RouteGroupBuilder group)
    {
        group.MapPost("/files", UploadAsync).AcceptsBody<UploadFileRequest>("multipart/form-data").Produces<FileObject>();
        group.MapGet("/files", ListAsync).Produces<FileList>().AcceptsQuery(
            new QueryParameter("purpose", "Only files of this purpose."),
            new QueryParameter("limit", $"Files per page (default {MaxListLimit}).") { Minimum = 1, Maximum = MaxListLimit },
            new QueryParameter("order", "By creation: newest first (desc, the default) or oldest first.") { Values = ["asc", "desc"] },
            new QueryParameter("after", "A file id: the page starts after it."));
        group.MapGet("/files/{fileId}", GetAsync).Produces<FileObject>();
        // The bytes as uploaded (a batch's JSON Lines, a document job's text), as OpenAI serves them.
        group.MapGet("/files/{fileId}/content", ContentAsync).Produces<byte[]>(StatusCodes.Status200OK, "application/octet-stream");
        group.MapDelete("/files/{fileId}", DeleteAsync).Produces<DeletedObject>();
        return group;
    }

    private static async Task<IResult> UploadAsync(HttpContext context, IBatchFileStore store, IOptions<BatchOptions> options, TimeProvider time)
    {
        var max = options.Value.MaxFileBytes;
        if (!context.Request.HasFormContentType)
        {
            return ApiErrors.BadRequest("Upload a file as multipart/form-data with the fields 'file' and 'purpose'.", "file", InputErrors.InvalidValueCode);
        }
        if (context.Request.ContentLength > max + MultipartOverheadBytes)
        {
            return TooLarge(max);
        }
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } sizeLimit)
        {
            sizeLimit.MaxRequestBodySize = max + MultipartOverheadBytes;
        }
        context.Features.Set<IFormFeature>(new FormFeature(context.Request, new FormOptions { MultipartBodyLengthLimit = max + MultipartOverheadBytes }));
        IFormCollection form;
        try
        {
            form = await context.Request.ReadFormAsync(context.RequestAborted);
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return TooLarge(max);
        }
        catch (InvalidDataException)
        {
            // The form reader's own limits (a body longer than MultipartBodyLengthLimit ends up here).
            return TooLarge(max);
        }
        var purpose = form["purpose"].ToString();
        if (purpose.Length == 0)
        {
            return InputErrors.Missing("purpose").ToResult();
        }
        if (purpose != FilePurposes.Batch)
        {
            return InputErrors.InvalidValue("purpose", $"Invalid 'purpose': '{purpose}'. Parley accepts files for batches only: 'batch'.").ToResult();
        }
        if (form.Files.GetFile("file") is not { } upload)
        {
            return InputErrors.Missing("file").ToResult();
        }
        if (upload.Length > max)
        {
            return TooLarge(max);
        }
        var filename = Path.GetFileName(upload.FileName);
        if (filename.Length is 0 or > MaxFilenameLength)
        {
            return InputErrors.InvalidValue("file", $"The file needs a name of 1 to {MaxFilenameLength} characters.").ToResult();
        }
        var content = new byte[upload.Length];
        await using (var stream = upload.OpenReadStream())
        {
            await stream.ReadExactlyAsync(content, context.RequestAborted);
        }
        var (_, errors) = BatchInput.Parse(content, options.Value.MaxLines);
        if (errors.Count > 0)
        {
            var first = errors[0];
            return ApiErrors.BadRequest($"Invalid batch file: {first.Message}" + (errors.Count > 1 ? $" ({errors.Count} errors in all.)" : ""), "file",
                InvalidFileCode);
        }
        var now = time.GetUtcNow();
        var file = new StoredFile(BatchIds.NewFile(), context.GetCaller().UserId, filename, purpose, content.Length, now.ToUnixTimeSeconds(),
            FileSequence.Next(now));
        await store.SaveAsync(file, content);
        return BatchJson.Json(w => BatchJson.File(w, file));
    }

    /// <summary>purpose (optional filter), limit (1-10,000, default 10,000), order (asc|desc, default desc), after.</summary>
    private static async Task<IResult> ListAsync(HttpContext context, IBatchFileStore store)
    {
        var query = context.Request.Query;
        var limit = MaxListLimit;
        if (query.TryGetValue("limit", out var limitValues) && (limitValues.Count != 1
            || !int.TryParse(limitValues[0], NumberStyles.None, CultureInfo.InvariantCulture, out limit) || limit is < 1 or > MaxListLimit))
        {
            return InputErrors.InvalidValue("limit", $"Invalid 'limit': expected an integer from 1 to {MaxListLimit}.").ToResult();
        }
        var order = query.TryGetValue("order", out var orderValues) ? orderValues.ToString() : "desc";
        if (order is not ("asc" or "desc"))
        {
            return InputErrors.InvalidValue("order", "Invalid 'order': expected 'asc' or 'desc'.").ToResult();
        }
        var purpose = query.TryGetValue("purpose", out var purposeValues) ? purposeValues.ToString() : null;
        var after = query.TryGetValue("after", out var afterValues) ? afterValues.ToString() : null;
        if (after is not null && !BatchIds.IsFile(after))
        {
            return InputErrors.InvalidValue("after", "Invalid 'after': expected a file id.").ToResult();
        }
        var found = await store.ListAsync(context.GetCaller().UserId, purpose, after, limit, order == "asc");
        var page = found.Take(limit).ToList();
        return BatchJson.Json(w => BatchJson.List(w, page, f => f.Id, BatchJson.File, found.Count > limit));
    }

    private static async Task<IResult> GetAsync(string fileId, HttpContext context, IBatchFileStore store)
        => await OwnedAsync(fileId, context, store) is { } file ? BatchJson.Json(w => BatchJson.File(w, file)) : NotFound(fileId);

    private static async Task<IResult> ContentAsync(string fileId, HttpContext context, IBatchFileStore store)
    {
        if (await OwnedAsync(fileId, context, store) is null || await store.ReadContentAsync(fileId) is not { } content)
        {
            return NotFound(fileId);
        }
        return Results.Bytes(content, "application/octet-stream");
    }

    private static async Task<IResult> DeleteAsync(string fileId, HttpContext context, IBatchFileStore store)
    {
        if (await OwnedAsync(fileId, context, store) is null || !await store.DeleteAsync(fileId))
        {
            return NotFound(fileId);
        }
        return BatchJson.Json(w => BatchJson.Deleted(w, fileId, "file"));
    }

    /// <summary>The caller's file; null for a malformed id, a missing file and another user's alike.</summary>
    public static async Task<StoredFile?> OwnedAsync(string fileId, HttpContext context, IBatchFileStore store)
        => BatchIds.IsFile(fileId) && await store.GetAsync(fileId) is { } file && file.UserId == context.GetCaller().UserId ? file : null;

    public static IResult NotFound(string fileId)
        => ApiErrors.NotFound($"No such File object: {fileId}", NotFoundCode);

    private static IResult TooLarge(long max)
        => ApiErrors.Result(StatusCodes.Status413PayloadTooLarge, $"The file is larger than the limit of {max} bytes (Parley:Batch:MaxFileBytes).",
            OpenAIErrorTypes.InvalidRequest, FileTooLargeCode, "file");
}
