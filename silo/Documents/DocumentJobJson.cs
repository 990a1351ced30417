using System.Text.Json;
using Parley.GrainInterfaces.Documents;
using Parley.Silo.Batches;

namespace Parley.Silo.Documents;

/// <summary>The document job object, field by field, in the order docs/documents.md shows.</summary>
internal static class DocumentJobJson
{
    public static void Job(Utf8JsonWriter writer, DocumentJobInfo job)
    {
        writer.WriteStartObject();
        writer.WriteString("id", job.Id);
        writer.WriteString("object", "document_job");
        writer.WriteString("model", job.Model);
        writer.WriteString("task", job.Task);
        writer.WriteString("status", job.Status);
        writer.WriteString("input_file_id", job.InputFileId);
        writer.WriteNumber("created_at", job.CreatedAt);
        BatchJson.Time(writer, "in_progress_at", job.InProgressAt);
        BatchJson.Time(writer, "completed_at", job.CompletedAt);
        BatchJson.Time(writer, "failed_at", job.FailedAt);
        BatchJson.Time(writer, "cancelled_at", job.CancelledAt);
        writer.WriteStartObject("progress");
        writer.WriteString("stage", job.Progress.Stage);
        writer.WriteNumber("level", job.Progress.Level);
        writer.WriteNumber("completed", job.Progress.Completed);
        writer.WriteNumber("total", job.Progress.Total);
        writer.WriteEndObject();
        writer.WriteNumber("chunks", job.Chunks);
        writer.WriteNumber("reduce_levels", job.ReduceLevels);
        writer.WriteStartObject("usage");
        writer.WriteNumber("calls", job.Usage.Calls);
        writer.WriteNumber("prompt_tokens", job.Usage.PromptTokens);
        writer.WriteNumber("completion_tokens", job.Usage.CompletionTokens);
        writer.WriteNumber("total_tokens", job.Usage.PromptTokens + job.Usage.CompletionTokens);
        writer.WriteEndObject();
        writer.WriteString("output", job.Output);
        if (job.Error is { } error)
        {
            writer.WriteStartObject("error");
            writer.WriteString("code", error.Code);
            writer.WriteString("message", error.Message);
            writer.WriteEndObject();
        }
        else
        {
            writer.WriteNull("error");
        }
        BatchJson.Metadata(writer, job.Metadata);
        writer.WriteEndObject();
    }
}
