using System.ComponentModel.DataAnnotations;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using Parley.GrainInterfaces.Conversations;

namespace Parley.Silo.Conversations;

/// <summary>OpenAI's conversation object; Parley's settings follow it, each only when set.</summary>
public sealed record ConversationResource(
    [property: JsonPropertyName("id"), JsonPropertyOrder(0)] string Id,
    [property: JsonPropertyName("created_at"), JsonPropertyOrder(2)] long CreatedAt,
    [property: JsonPropertyName("metadata"), JsonPropertyOrder(3)] IReadOnlyDictionary<string, string> Metadata,
    [property: JsonPropertyName("model"), JsonPropertyOrder(4), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Model,
    [property: JsonPropertyName("system_prompt"), JsonPropertyOrder(5), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? SystemPrompt,
    [property: JsonPropertyName("max_context_tokens"), JsonPropertyOrder(6), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] int? MaxContextTokens)
{
    [JsonPropertyName("object")]
    [JsonPropertyOrder(1)]
    [AllowedValues("conversation")]
    public string Object => "conversation";

    public static ConversationResource From(ConversationInfo info)
        => new(info.Id, info.CreatedAt, info.Metadata, info.Settings.Model, info.Settings.SystemPrompt, info.Settings.MaxContextTokens);
}

public sealed record ConversationDeletedResource([property: JsonPropertyName("id"), JsonPropertyOrder(0)] string Id)
{
    [JsonPropertyName("object")]
    [JsonPropertyOrder(1)]
    [AllowedValues("conversation.deleted")]
    public string Object => "conversation.deleted";

    [JsonPropertyName("deleted")]
    [JsonPropertyOrder(2)]
    public bool Deleted => true;
}

public sealed record ContentPartResource(
    [property: JsonPropertyName("type"), AllowedValues(ConversationContentPart.InputText, ConversationContentPart.OutputText)] string Type,
    [property: JsonPropertyName("text")] string Text)
{
    private static readonly IReadOnlyList<object> NoAnnotations = [];

    /// <summary>OpenAI's output_text parts carry annotations; input_text parts do not.</summary>
    [JsonPropertyName("annotations")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyList<object>? Annotations => Type == ConversationContentPart.OutputText ? NoAnnotations : null;
}

/// <summary>An item of the transcript: items added through the API have the roles that API takes; items stored by a chat
/// turn keep the chat message's role (tool and function results included).</summary>
public sealed record ItemResource(
    [property: JsonPropertyName("id"), JsonPropertyOrder(1)] string Id,
    [property: JsonPropertyName("role"), JsonPropertyOrder(3), AllowedValues("user", "assistant", "system", "developer", "tool", "function")] string Role,
    [property: JsonPropertyName("content"), JsonPropertyOrder(4)] IReadOnlyList<ContentPartResource> Content)
{
    [JsonPropertyName("type")]
    [JsonPropertyOrder(0)]
    [AllowedValues(ConversationItem.MessageType)]
    public string Type => ConversationItem.MessageType;

    [JsonPropertyName("status")]
    [JsonPropertyOrder(2)]
    [AllowedValues(ConversationItem.CompletedStatus)]
    public string Status => ConversationItem.CompletedStatus;

    public static ItemResource From(ConversationItem item)
        => new(item.Id, item.Role, item.Content.Select(p => new ContentPartResource(p.Type, p.Text)).ToList());
}

public sealed record ItemListResource(
    [property: JsonPropertyName("data"), JsonPropertyOrder(1)] IReadOnlyList<ItemResource> Data,
    [property: JsonPropertyName("has_more"), JsonPropertyOrder(4)] bool HasMore)
{
    [JsonPropertyName("object")]
    [JsonPropertyOrder(0)]
    [AllowedValues("list")]
    public string Object => "list";

    [JsonPropertyName("first_id")]
    [JsonPropertyOrder(2)]
    public string? FirstId => Data.Count > 0 ? Data[0].Id : null;

    [JsonPropertyName("last_id")]
    [JsonPropertyOrder(3)]
    public string? LastId => Data.Count > 0 ? Data[^1].Id : null;

    public static ItemListResource From(IReadOnlyList<ConversationItem> items, bool hasMore)
        => new(items.Select(ItemResource.From).ToList(), hasMore);
}

[JsonSerializable(typeof(ConversationResource))]
[JsonSerializable(typeof(ConversationDeletedResource))]
[JsonSerializable(typeof(ItemResource))]
[JsonSerializable(typeof(ItemListResource))]
internal sealed partial class ConversationJsonContext : JsonSerializerContext
{
    /// <summary>Escapes only what JSON requires: message text in any language stays readable and compact.</summary>
    public static ConversationJsonContext Relaxed { get; } = new(new JsonSerializerOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
}
