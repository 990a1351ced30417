using System.Text.Encodings.Web;
using System.Text.Json;

namespace Parley.Sim.Chat;

/// <summary>What every chunk of one completion repeats.</summary>
internal readonly record struct CompletionHeader(string Id, long Created, string Model, bool IncludeUsage);

/// <summary>Writes OpenAI's chat.completion and chat.completion.chunk objects straight into the response with
/// pre-encoded property names: this is the simulator's hot path, so no intermediate objects are built.</summary>
internal static class CompletionJson
{
    public const string SystemFingerprint = "fp_parley_sim";

    public static readonly JsonWriterOptions WriterOptions = new()
    {
        // Like OpenAI: UTF-8 text as is, only what JSON requires escaped.
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    private static readonly JsonEncodedText Id = JsonEncodedText.Encode("id");
    private static readonly JsonEncodedText Object = JsonEncodedText.Encode("object");
    private static readonly JsonEncodedText Created = JsonEncodedText.Encode("created");
    private static readonly JsonEncodedText Model = JsonEncodedText.Encode("model");
    private static readonly JsonEncodedText Choices = JsonEncodedText.Encode("choices");
    private static readonly JsonEncodedText Index = JsonEncodedText.Encode("index");
    private static readonly JsonEncodedText Message = JsonEncodedText.Encode("message");
    private static readonly JsonEncodedText Delta = JsonEncodedText.Encode("delta");
    private static readonly JsonEncodedText Role = JsonEncodedText.Encode("role");
    private static readonly JsonEncodedText Content = JsonEncodedText.Encode("content");
    private static readonly JsonEncodedText Refusal = JsonEncodedText.Encode("refusal");
    private static readonly JsonEncodedText Annotations = JsonEncodedText.Encode("annotations");
    private static readonly JsonEncodedText Logprobs = JsonEncodedText.Encode("logprobs");
    private static readonly JsonEncodedText FinishReason = JsonEncodedText.Encode("finish_reason");
    private static readonly JsonEncodedText Usage = JsonEncodedText.Encode("usage");
    private static readonly JsonEncodedText PromptTokens = JsonEncodedText.Encode("prompt_tokens");
    private static readonly JsonEncodedText CompletionTokens = JsonEncodedText.Encode("completion_tokens");
    private static readonly JsonEncodedText TotalTokens = JsonEncodedText.Encode("total_tokens");
    private static readonly JsonEncodedText PromptTokensDetails = JsonEncodedText.Encode("prompt_tokens_details");
    private static readonly JsonEncodedText CompletionTokensDetails = JsonEncodedText.Encode("completion_tokens_details");
    private static readonly JsonEncodedText CachedTokens = JsonEncodedText.Encode("cached_tokens");
    private static readonly JsonEncodedText ReasoningTokens = JsonEncodedText.Encode("reasoning_tokens");
    private static readonly JsonEncodedText ServiceTier = JsonEncodedText.Encode("service_tier");
    private static readonly JsonEncodedText Fingerprint = JsonEncodedText.Encode("system_fingerprint");
    private static readonly JsonEncodedText CompletionObject = JsonEncodedText.Encode("chat.completion");
    private static readonly JsonEncodedText ChunkObject = JsonEncodedText.Encode("chat.completion.chunk");
    private static readonly JsonEncodedText Assistant = JsonEncodedText.Encode("assistant");
    private static readonly JsonEncodedText DefaultTier = JsonEncodedText.Encode("default");
    private static readonly JsonEncodedText FingerprintValue = JsonEncodedText.Encode(SystemFingerprint);

    /// <summary>The whole non-streaming answer.</summary>
    public static void WriteCompletion(Utf8JsonWriter w, in CompletionHeader header, Reply reply, int promptTokens)
    {
        WriteStart(w, header, CompletionObject);
        w.WriteStartArray(Choices);
        w.WriteStartObject();
        w.WriteNumber(Index, 0);
        w.WriteStartObject(Message);
        w.WriteString(Role, Assistant);
        w.WriteString(Content, reply.Text);
        w.WriteNull(Refusal);
        w.WriteStartArray(Annotations);
        w.WriteEndArray();
        w.WriteEndObject();
        w.WriteNull(Logprobs);
        w.WriteString(FinishReason, reply.FinishReason);
        w.WriteEndObject();
        w.WriteEndArray();
        WriteUsage(w, promptTokens, reply.CompletionTokens);
        w.WriteEndObject();
    }

    /// <summary>The first chunk: the assistant role with empty content.</summary>
    public static void WriteRoleChunk(Utf8JsonWriter w, in CompletionHeader header)
    {
        WriteChunkStart(w, header);
        w.WriteString(Role, Assistant);
        w.WriteString(Content, ReadOnlySpan<char>.Empty);
        w.WriteNull(Refusal);
        WriteChunkEnd(w, header, finishReason: null);
    }

    public static void WriteContentChunk(Utf8JsonWriter w, in CompletionHeader header, ReadOnlySpan<char> content)
    {
        WriteChunkStart(w, header);
        w.WriteString(Content, content);
        WriteChunkEnd(w, header, finishReason: null);
    }

    /// <summary>The last choice chunk: an empty delta with the finish reason.</summary>
    public static void WriteFinishChunk(Utf8JsonWriter w, in CompletionHeader header, string finishReason)
    {
        WriteChunkStart(w, header);
        WriteChunkEnd(w, header, finishReason);
    }

    /// <summary>The chunk sent after the finish chunk when stream_options.include_usage is set: no choices, usage.</summary>
    public static void WriteUsageChunk(Utf8JsonWriter w, in CompletionHeader header, int promptTokens, int completionTokens)
    {
        WriteStart(w, header, ChunkObject);
        w.WriteStartArray(Choices);
        w.WriteEndArray();
        WriteUsage(w, promptTokens, completionTokens);
        w.WriteEndObject();
    }

    private static void WriteStart(Utf8JsonWriter w, in CompletionHeader header, JsonEncodedText objectName)
    {
        w.WriteStartObject();
        w.WriteString(Id, header.Id);
        w.WriteString(Object, objectName);
        w.WriteNumber(Created, header.Created);
        w.WriteString(Model, header.Model);
        w.WriteString(ServiceTier, DefaultTier);
        w.WriteString(Fingerprint, FingerprintValue);
    }

    private static void WriteChunkStart(Utf8JsonWriter w, in CompletionHeader header)
    {
        WriteStart(w, header, ChunkObject);
        w.WriteStartArray(Choices);
        w.WriteStartObject();
        w.WriteNumber(Index, 0);
        w.WriteStartObject(Delta);
    }

    private static void WriteChunkEnd(Utf8JsonWriter w, in CompletionHeader header, string? finishReason)
    {
        w.WriteEndObject();
        w.WriteNull(Logprobs);
        if (finishReason is null)
        {
            w.WriteNull(FinishReason);
        }
        else
        {
            w.WriteString(FinishReason, finishReason);
        }
        w.WriteEndObject();
        w.WriteEndArray();
        if (header.IncludeUsage)
        {
            // With include_usage, OpenAI sends "usage": null on every chunk but the last.
            w.WriteNull(Usage);
        }
        w.WriteEndObject();
    }

    private static void WriteUsage(Utf8JsonWriter w, int promptTokens, int completionTokens)
    {
        w.WriteStartObject(Usage);
        w.WriteNumber(PromptTokens, promptTokens);
        w.WriteNumber(CompletionTokens, completionTokens);
        w.WriteNumber(TotalTokens, promptTokens + completionTokens);
        w.WriteStartObject(PromptTokensDetails);
        w.WriteNumber(CachedTokens, 0);
        w.WriteEndObject();
        w.WriteStartObject(CompletionTokensDetails);
        w.WriteNumber(ReasoningTokens, 0);
        w.WriteEndObject();
        w.WriteEndObject();
    }
}
