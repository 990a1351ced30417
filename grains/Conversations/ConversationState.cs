using System.Text.Json.Serialization;
using Parley.GrainInterfaces.Conversations;

namespace Parley.Grains.Conversations;

/// <summary>The persisted state of one conversation. An empty <see cref="OwnerUserId"/> means "never created".</summary>
public sealed class ConversationState
{
    public string OwnerUserId { get; set; } = "";

    /// <summary>Unix seconds.</summary>
    public long CreatedAt { get; set; }

    public Dictionary<string, string> Metadata { get; set; } = [];

    /// <summary>Oldest first.</summary>
    public List<StoredConversationItem> Items { get; set; } = [];
}

/// <summary>One item: the chat message exactly as it goes to the upstream (<see cref="MessageJson"/>) and, beside it,
/// its text parts as the Conversations API shows them, so neither view is re-derived on every read.</summary>
public sealed record StoredConversationItem(
    string Id,
    string Role,
    string MessageJson,
    IReadOnlyList<ConversationContentPart> Content)
{
    public ConversationItem ToItem() => new(Id, Role, Content);

    public ChatMessageRecord ToChatMessage() => new(Role, MessageJson);
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(ConversationState))]
public sealed partial class ConversationStateJsonContext : JsonSerializerContext;
