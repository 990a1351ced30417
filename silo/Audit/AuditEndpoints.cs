using System.Buffers.Text;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Primitives;
using Parley.Silo.Api;
using Parley.Silo.Audit.Stores;
using Parley.Silo.OpenApi;

namespace Parley.Silo.Audit;

/// <summary>The admin routes of the audit trail: <c>GET /admin/audit/records</c> (filters, newest first, keyset cursor),
/// <c>GET /admin/audit/export</c> (the same filters as JSON Lines, streamed) and <c>GET /admin/audit/verify</c> (each
/// silo's hash chain checked from its checkpoint to its head).</summary>
internal static class AuditEndpoints
{
    public const int DefaultLimit = 100;
    public const int MaxLimit = 1000;
    private const string FilterCode = "invalid_audit_filter";
    private const int ExportFlushEvery = 256;
    private static readonly JsonWriterOptions WriterOptions = new() { Indented = false };

    private static readonly QueryParameter[] FilterQuery =
    [
        new("from", "Records at or after this time: RFC 3339 or Unix seconds."),
        new("to", "Records before this time: RFC 3339 or Unix seconds."),
        new("user", "A user id."),
        new("key", "A key id."),
        new("model", "A public model name."),
        new("status", "An HTTP status.") { Minimum = 100, Maximum = 599 },
        new("conversation", "A conversation id."),
        new("cursor", "The next_cursor of the previous page."),
    ];

    public static RouteGroupBuilder MapAuditAdmin(this RouteGroupBuilder admin)
    {
        admin.MapGet("/audit/records", ListAsync).Produces<AuditRecordList>().AcceptsQuery([.. FilterQuery,
            new QueryParameter("limit", $"Most records in the page (default {DefaultLimit}).") { Minimum = 1, Maximum = MaxLimit }]);
        admin.MapGet("/audit/export", ExportAsync).Produces<AuditRecordObject>(StatusCodes.Status200OK, "application/x-ndjson").AcceptsQuery(FilterQuery);
        admin.MapGet("/audit/verify", VerifyAsync).Produces<AuditVerification>().RefusesWith(StatusCodes.Status404NotFound)
            .AcceptsQuery(new QueryParameter("silo", "Only this silo's chain."));
        return admin;
    }

    private static async Task ListAsync(HttpContext context, IAuditStore store)
    {
        if (!TryReadFilter(context.Request.Query, out var filter, out var error) || !TryReadLimit(context.Request.Query, out var limit, out error))
        {
            await error!.WriteAsync(context);
            return;
        }
        var records = new List<AuditRecord>(Math.Min(limit + 1, 128));
        await foreach (var record in store.QueryAsync(filter, limit + 1, context.RequestAborted))
        {
            records.Add(record);
        }
        var hasMore = records.Count > limit;
        if (hasMore)
        {
            records.RemoveAt(records.Count - 1);
        }
        context.Response.ContentType = "application/json";
        await using var writer = new Utf8JsonWriter(context.Response.BodyWriter, WriterOptions);
        writer.WriteStartObject();
        writer.WriteString("object"u8, "list");
        writer.WritePropertyName("data"u8);
        writer.WriteStartArray();
        foreach (var record in records)
        {
            AuditCodec.Write(writer, record, withHash: true);
        }
        writer.WriteEndArray();
        writer.WriteBoolean("has_more"u8, hasMore);
        if (hasMore)
        {
            writer.WriteString("next_cursor"u8, Cursor(records[^1]));
        }
        else
        {
            writer.WriteNull("next_cursor"u8);
        }
        writer.WriteEndObject();
        await writer.FlushAsync(context.RequestAborted);
    }

    /// <summary>Every matching record, one JSON object a line, as the store yields them (never buffered whole).</summary>
    private static async Task ExportAsync(HttpContext context, IAuditStore store)
    {
        if (!TryReadFilter(context.Request.Query, out var filter, out var error))
        {
            await error!.WriteAsync(context);
            return;
        }
        context.Response.ContentType = "application/x-ndjson";
        context.Response.Headers.ContentDisposition = "attachment; filename=\"parley-audit.jsonl\"";
        var body = context.Response.BodyWriter;
        Utf8JsonWriter? writer = null;
        try
        {
            var lines = 0;
            await foreach (var record in store.QueryAsync(filter, int.MaxValue, context.RequestAborted))
            {
                AuditCodec.WriteLine(body, record, ref writer);
                if (++lines % ExportFlushEvery == 0)
                {
                    await body.FlushAsync(context.RequestAborted);
                }
            }
            await body.FlushAsync(context.RequestAborted);
        }
        finally
        {
            writer?.Dispose();
        }
    }

    private static async Task VerifyAsync(HttpContext context, IAuditStore store)
    {
        var silo = context.Request.Query["silo"] is { Count: > 0 } value ? value.ToString() : null;
        var verdicts = new List<AuditChainVerdict>();
        await foreach (var verdict in AuditVerifier.VerifyAllAsync(store, silo, context.RequestAborted))
        {
            verdicts.Add(verdict);
        }
        if (silo is not null && verdicts.Count == 0)
        {
            await ApiErrors.WriteAsync(context, StatusCodes.Status404NotFound, $"No audit chain for silo '{silo}'.", OpenAIErrorTypes.InvalidRequest,
                "audit_chain_not_found", "silo");
            return;
        }
        context.Response.ContentType = "application/json";
        await using var writer = new Utf8JsonWriter(context.Response.BodyWriter, WriterOptions);
        writer.WriteStartObject();
        writer.WriteString("object"u8, "audit.verification");
        writer.WriteBoolean("intact"u8, verdicts.TrueForAll(v => v.Intact));
        writer.WritePropertyName("chains"u8);
        writer.WriteStartArray();
        foreach (var v in verdicts)
        {
            writer.WriteStartObject();
            writer.WriteString("silo"u8, v.Silo);
            writer.WriteBoolean("intact"u8, v.Intact);
            writer.WriteNumber("first_seq"u8, v.FirstSeq);
            writer.WriteNumber("last_seq"u8, v.LastSeq);
            writer.WriteNumber("checked"u8, v.Checked);
            if (v.BrokenSeq is { } broken)
            {
                writer.WriteNumber("broken_seq"u8, broken);
                writer.WriteString("reason"u8, v.Reason);
            }
            else
            {
                writer.WriteNull("broken_seq"u8);
                writer.WriteNull("reason"u8);
            }
            writer.WriteEndObject();
        }
        writer.WriteEndArray();
        writer.WriteEndObject();
        await writer.FlushAsync(context.RequestAborted);
    }

    internal static bool TryReadFilter(IQueryCollection query, out AuditFilter filter, out ApiError? error)
    {
        filter = new AuditFilter();
        error = null;
        long? from = null, to = null;
        int? status = null;
        AuditCursor? cursor = null;
        if (query["from"] is { Count: > 0 } fromText && !TryTime(fromText, "from", out from, out error)
            || query["to"] is { Count: > 0 } toText && !TryTime(toText, "to", out to, out error))
        {
            return false;
        }
        if (from is { } f && to is { } t && t <= f)
        {
            error = Bad("'to' must be after 'from'.", "to");
            return false;
        }
        if (query["status"] is { Count: > 0 } statusText)
        {
            if (!int.TryParse(statusText.ToString(), NumberStyles.None, CultureInfo.InvariantCulture, out var s) || s is < 100 or > 599)
            {
                error = Bad("'status' must be an HTTP status code (100-599).", "status");
                return false;
            }
            status = s;
        }
        if (query["cursor"] is { Count: > 0 } cursorText && (cursor = ParseCursor(cursorText.ToString())) is null)
        {
            error = Bad("'cursor' is not a cursor this API returned.", "cursor");
            return false;
        }
        string? Text(string name) => query[name] is { Count: > 0 } v && v.ToString().Length > 0 ? v.ToString() : null;
        foreach (var name in new[] { "user", "key", "model", "conversation" })
        {
            if (Text(name) is { } value && (value.Length > 256 || !IsPlainText(value)))
            {
                error = Bad($"'{name}' must be at most 256 characters of text (no control characters or lone surrogates).", name);
                return false;
            }
        }
        filter = new AuditFilter
        {
            FromUs = from,
            ToUs = to,
            UserId = Text("user"),
            KeyId = Text("key"),
            Model = Text("model"),
            Status = status,
            ConversationId = Text("conversation"),
            After = cursor,
        };
        return true;
    }

    private static bool TryReadLimit(IQueryCollection query, out int limit, out ApiError? error)
    {
        limit = DefaultLimit;
        error = null;
        if (query["limit"] is { Count: > 0 } text
            && (!int.TryParse(text.ToString(), NumberStyles.None, CultureInfo.InvariantCulture, out limit) || limit is < 1 or > MaxLimit))
        {
            error = Bad($"'limit' must be an integer from 1 to {MaxLimit}.", "limit");
            return false;
        }
        return true;
    }

    /// <summary>An RFC 3339 time (<c>2026-12-07T10:00:00Z</c>) or Unix seconds.</summary>
    private static bool TryTime(StringValues text, string name, out long? micros, out ApiError? error)
    {
        micros = null;
        error = null;
        var value = text.ToString();
        if (long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds) && seconds <= 253_402_300_799)
        {
            micros = seconds * 1_000_000;
            return true;
        }
        if (DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var time))
        {
            micros = (time.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) / TimeSpan.TicksPerMicrosecond;
            return true;
        }
        error = Bad($"'{name}' must be an RFC 3339 time (e.g. 2026-12-07T10:00:00Z) or Unix seconds.", name);
        return false;
    }

    internal static string Cursor(AuditRecord record)
        => Base64Url.EncodeToString(Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture, $"{record.TimeUs}:{record.Seq}:{record.Silo}")));

    private static AuditCursor? ParseCursor(string text)
    {
        if (text.Length > 512)
        {
            return null;
        }
        byte[] bytes;
        try
        {
            bytes = Base64Url.DecodeFromChars(text);
        }
        catch (FormatException)
        {
            return null;
        }
        var parts = Encoding.UTF8.GetString(bytes).Split(':', 3);
        return parts.Length == 3
            && long.TryParse(parts[0], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var time)
            && long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var seq)
            && parts[2].Length > 0
            ? new AuditCursor(time, parts[2], seq)
            : null;
    }

    private static bool IsPlainText(string value)
    {
        for (var i = 0; i < value.Length; i++)
        {
            var c = value[i];
            if (char.IsControl(c))
            {
                return false;
            }
            if (char.IsSurrogate(c))
            {
                if (!char.IsHighSurrogate(c) || i + 1 == value.Length || !char.IsLowSurrogate(value[i + 1]))
                {
                    return false;
                }
                i++;
            }
        }
        return true;
    }

    private static ApiError Bad(string message, string param)
        => new(StatusCodes.Status400BadRequest, message, OpenAIErrorTypes.InvalidRequest, param, FilterCode);
}
