using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using System.Text.Json;
using Parley.Silo.OpenApi;

namespace Parley.Silo.Conversations;

/// <summary><c>POST /v1/conversations</c>: what <c>ConversationEndpoints.CreateAsync</c> reads (the body and every field
/// optional).</summary>
[RequestSchema(Example = """{"model": "gpt-4o-mini", "system_prompt": "Be brief.", "max_context_tokens": 4096, "items": [{"type": "message", "role": "user", "content": "Hello."}], "metadata": {"topic": "demo"}}""")]
public sealed class CreateConversationRequest
{
    /// <summary>A public model name (<c>GET /v1/models</c>); an unknown one is refused.</summary>
    public string? Model { get; init; }

    [MinLength(1), MaxLength(ConversationSettingsParser.MaxSystemPromptLength)]
    public string? SystemPrompt { get; init; }

    [Range(ConversationSettingsParser.MinContextTokens, ConversationSettingsParser.MaxContextTokens)]
    public int? MaxContextTokens { get; init; }

    [NullAllowed]
    [MaxLength(ConversationRequestParser.MaxItemsPerRequest)]
    public IReadOnlyList<ConversationItemInput>? Items { get; init; }

    [NullAllowed]
    [OpenAIMetadata]
    public IReadOnlyDictionary<string, string>? Metadata { get; init; }
}

/// <summary><c>POST /v1/conversations/{conversationId}</c>: the metadata (replaced as a whole) or Parley's settings, or
/// both; a body with neither is refused as missing <c>metadata</c>.</summary>
[RequestSchema(Example = """{"system_prompt": "Answer in French.", "max_context_tokens": 8192, "metadata": {"topic": "updated"}}""")]
public sealed class UpdateConversationRequest
{
    public string? Model { get; init; }

    [MinLength(1), MaxLength(ConversationSettingsParser.MaxSystemPromptLength)]
    public string? SystemPrompt { get; init; }

    [Range(ConversationSettingsParser.MinContextTokens, ConversationSettingsParser.MaxContextTokens)]
    public int? MaxContextTokens { get; init; }

    [NullAllowed]
    [OpenAIMetadata]
    public IReadOnlyDictionary<string, string>? Metadata { get; init; }
}

/// <summary><c>POST /v1/conversations/{conversationId}/items</c>.</summary>
[RequestSchema(Example = """{"items": [{"type": "message", "role": "assistant", "content": [{"type": "output_text", "text": "Hi."}]}]}""")]
public sealed class AddItemsRequest
{
    [MinLength(1), MaxLength(ConversationRequestParser.MaxItemsPerRequest)]
    public required IReadOnlyList<ConversationItemInput> Items { get; init; }
}

/// <summary>A message item, or OpenAI's "easy input message" (<c>{role, content}</c> without <c>type</c>).</summary>
[RequestSchema]
public sealed class ConversationItemInput
{
    [AllowedValues(Parley.GrainInterfaces.Conversations.ConversationItem.MessageType)]
    public string? Type { get; init; }

    [AllowedValues("user", "assistant", "system", "developer")]
    public required string Role { get; init; }

    /// <summary>A string, or a non-empty array of parts <c>{"type": "input_text" | "output_text" | "text", "text": "…"}</c>.</summary>
    [Description("A string, or a non-empty array of content parts {\"type\": \"input_text\" | \"output_text\" | \"text\", \"text\": string}.")]
    public required JsonElement Content { get; init; }

    /// <summary>Assigned by Parley; accepted (and ignored) so that an item read back can be sent again.</summary>
    [NullAllowed]
    public string? Id { get; init; }

    /// <summary>Assigned by Parley; accepted and ignored.</summary>
    [NullAllowed]
    public string? Status { get; init; }
}
