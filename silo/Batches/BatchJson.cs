using System.Buffers;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Parley.GrainInterfaces.Batches;
using Parley.Grains.Batches;

namespace Parley.Silo.Batches;

/// <summary>OpenAI's File and Batch objects and their lists, written field by field in OpenAI's order.</summary>
internal static class BatchJson
{
    public static IResult Json(Action<Utf8JsonWriter> write)
    {
        var buffer = new ArrayBufferWriter<byte>(512);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            write(writer);
        }
        return Results.Bytes(buffer.WrittenSpan.ToArray(), "application/json");
    }

    public static void File(Utf8JsonWriter writer, StoredFile file)
    {
        writer.WriteStartObject();
        writer.WriteString("id", file.Id);
        writer.WriteString("object", "file");
        writer.WriteNumber("bytes", file.Bytes);
        writer.WriteNumber("created_at", file.CreatedAt);
        writer.WriteNull("expires_at");
        writer.WriteString("filename", file.Filename);
        writer.WriteString("purpose", file.Purpose);
        writer.WriteString("status", "processed");
        writer.WriteNull("status_details");
        writer.WriteEndObject();
    }

    public static void Deleted(Utf8JsonWriter writer, string id, string objectName)
    {
        writer.WriteStartObject();
        writer.WriteString("id", id);
        writer.WriteString("object", objectName);
        writer.WriteBoolean("deleted", true);
        writer.WriteEndObject();
    }

    public static void Batch(Utf8JsonWriter writer, BatchInfo batch)
    {
        writer.WriteStartObject();
        writer.WriteString("id", batch.Id);
        writer.WriteString("object", "batch");
        writer.WriteString("endpoint", batch.Endpoint);
        if (batch.Errors is { Count: > 0 } errors)
        {
            writer.WriteStartObject("errors");
            writer.WriteString("object", "list");
            writer.WriteStartArray("data");
            foreach (var error in errors)
            {
                writer.WriteStartObject();
                writer.WriteString("code", error.Code);
                writer.WriteString("message", error.Message);
                writer.WriteString("param", error.Param);
                if (error.Line is { } line)
                {
                    writer.WriteNumber("line", line);
                }
                else
                {
                    writer.WriteNull("line");
                }
                writer.WriteEndObject();
            }
            writer.WriteEndArray();
            writer.WriteEndObject();
        }
        else
        {
            writer.WriteNull("errors");
        }
        writer.WriteString("input_file_id", batch.InputFileId);
        writer.WriteString("completion_window", batch.CompletionWindow);
        writer.WriteString("status", batch.Status);
        writer.WriteString("output_file_id", batch.OutputFileId);
        writer.WriteString("error_file_id", batch.ErrorFileId);
        writer.WriteNumber("created_at", batch.CreatedAt);
        Time(writer, "in_progress_at", batch.InProgressAt);
        Time(writer, "expires_at", batch.ExpiresAt);
        Time(writer, "finalizing_at", batch.FinalizingAt);
        Time(writer, "completed_at", batch.CompletedAt);
        Time(writer, "failed_at", batch.FailedAt);
        Time(writer, "expired_at", batch.ExpiredAt);
        Time(writer, "cancelling_at", batch.CancellingAt);
        Time(writer, "cancelled_at", batch.CancelledAt);
        writer.WriteStartObject("request_counts");
        writer.WriteNumber("total", batch.RequestCounts.Total);
        writer.WriteNumber("completed", batch.RequestCounts.Completed);
        writer.WriteNumber("failed", batch.RequestCounts.Failed);
        writer.WriteEndObject();
        Metadata(writer, batch.Metadata);
        writer.WriteEndObject();
    }

    /// <summary>An operator's view of a grain: <c>{"silo":…,"<paramref name="name"/>":{…}}</c>.</summary>
    public static IResult Inspection<T>(string silo, string name, T item, Action<Utf8JsonWriter, T> write) => Json(w =>
    {
        w.WriteStartObject();
        w.WriteString("silo", silo);
        w.WritePropertyName(name);
        write(w, item);
        w.WriteEndObject();
    });

    /// <summary><c>"metadata"</c>: the object's key-value pairs, or null.</summary>
    public static void Metadata(Utf8JsonWriter writer, IReadOnlyDictionary<string, string>? metadata)
    {
        if (metadata is null)
        {
            writer.WriteNull("metadata");
            return;
        }
        writer.WriteStartObject("metadata");
        foreach (var (key, value) in metadata)
        {
            writer.WriteString(key, value);
        }
        writer.WriteEndObject();
    }

    /// <summary>OpenAI's list envelope: <c>{"object":"list","data":[…],"first_id","last_id","has_more"}</c>.</summary>
    public static void List<T>(Utf8JsonWriter writer, IReadOnlyList<T> items, Func<T, string> id, Action<Utf8JsonWriter, T> write, bool hasMore)
    {
        writer.WriteStartObject();
        writer.WriteString("object", "list");
        writer.WriteStartArray("data");
        foreach (var item in items)
        {
            write(writer, item);
        }
        writer.WriteEndArray();
        writer.WriteString("first_id", items.Count > 0 ? id(items[0]) : null);
        writer.WriteString("last_id", items.Count > 0 ? id(items[^1]) : null);
        writer.WriteBoolean("has_more", hasMore);
        writer.WriteEndObject();
    }

    public static void Time(Utf8JsonWriter writer, string name, long? value)
    {
        if (value is { } v)
        {
            writer.WriteNumber(name, v);
        }
        else
        {
            writer.WriteNull(name);
        }
    }
}
