using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using System.Text.Json;
using Parley.Silo.OpenApi;

namespace Parley.Silo.Chat;

// The chat route reads its body with ChatRequestValidator and relays the upstream's answer as it comes; these types
// describe both for the OpenAPI document only: what the validator checks, and OpenAI's chat completion object (every
// provider's answer is translated into it). Fields the request does not list are passed upstream untouched, and an
// answer may carry more fields than listed (the upstream's own).

/// <summary><c>POST /v1/chat/completions</c>.</summary>
[RequestSchema(Example = """{"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "Say hello."}], "max_tokens": 16}"""), OpenRequestSchema]
public sealed class ChatCompletionRequest
{
    /// <summary>A public model name (<c>GET /v1/models</c>), or one that request rules route.</summary>
    public required string Model { get; init; }

    [MinLength(1)]
    public required IReadOnlyList<ChatMessageInput> Messages { get; init; }

    /// <summary>Continue a stored conversation: its id, or <c>{"id": …}</c> (or the header <c>X-Parley-Conversation</c>).</summary>
    [NullAllowed]
    [Description("A conversation id (conv_…) or an object {\"id\": \"conv_…\"}: the turn continues that stored conversation.")]
    public JsonElement? Conversation { get; init; }

    [NullAllowed]
    public bool? Stream { get; init; }

    [NullAllowed]
    public ChatStreamOptions? StreamOptions { get; init; }

    [NullAllowed]
    [Range(1, ChatRequestValidator.MaxReplyTokens)]
    public long? MaxTokens { get; init; }

    [NullAllowed]
    [Range(1, ChatRequestValidator.MaxReplyTokens)]
    public long? MaxCompletionTokens { get; init; }

    [NullAllowed]
    [Range(1, long.MaxValue)]
    public long? N { get; init; }

    [NullAllowed]
    public double? Temperature { get; init; }

    [NullAllowed]
    public double? TopP { get; init; }

    [NullAllowed]
    public IReadOnlyList<JsonElement>? Tools { get; init; }
}

[RequestSchema, OpenRequestSchema]
public sealed class ChatStreamOptions
{
    [NullAllowed]
    public bool? IncludeUsage { get; init; }
}

/// <summary>A message: <c>content</c> is required except for <c>assistant</c> and <c>function</c> messages (which may
/// carry only tool calls).</summary>
[RequestSchema, OpenRequestSchema]
public sealed class ChatMessageInput
{
    [AllowedValues("system", "developer", "user", "assistant", "tool", "function")]
    public required string Role { get; init; }

    [NullAllowed]
    [Description("A string, an array of content parts (objects with a string 'type'), or null for an assistant message with tool calls.")]
    public JsonElement? Content { get; init; }
}

public sealed record ChatCompletion(
    string Id,
    [property: AllowedValues("chat.completion")] string Object,
    long Created,
    string Model,
    IReadOnlyList<ChatChoice> Choices)
{
    /// <summary>Present when the upstream reports it (every provider Parley speaks does).</summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public ChatCompletionUsage? Usage { get; init; }
}

public sealed record ChatChoice(
    int Index,
    ChatReply Message,
    // Not an enum: an OpenAI-compatible upstream's finish_reason is relayed as it comes (Anthropic's stop reasons are
    // translated into OpenAI's), so the document lists OpenAI's values without claiming them.
    [property: Description("stop, length, tool_calls, content_filter or function_call (OpenAI's values; an OpenAI-compatible upstream's own value is relayed as it comes).")]
    string? FinishReason);

public sealed record ChatReply([property: AllowedValues("assistant")] string Role, string? Content);

public sealed record ChatCompletionUsage(int PromptTokens, int CompletionTokens, int TotalTokens);
