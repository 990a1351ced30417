namespace Parley.GrainInterfaces.Conversations;

/// <summary>A conversation as the Conversations API shows it. <see cref="CreatedAt"/> is Unix seconds.</summary>
[GenerateSerializer, Immutable, Alias("parley.conversation-info")]
public sealed record ConversationInfo(string Id, long CreatedAt, IReadOnlyDictionary<string, string> Metadata, ConversationSettings Settings);

/// <summary>A stored conversation item (always a message here), in the Conversations API's shape.</summary>
[GenerateSerializer, Immutable, Alias("parley.conversation-item")]
public sealed record ConversationItem(string Id, string Role, IReadOnlyList<ConversationContentPart> Content)
{
    public const string MessageType = "message";
    public const string CompletedStatus = "completed";
}

/// <summary>One text part of a message: <see cref="Type"/> is <c>input_text</c> or <c>output_text</c>.</summary>
[GenerateSerializer, Immutable, Alias("parley.conversation-content-part")]
public sealed record ConversationContentPart(string Type, string Text)
{
    public const string InputText = "input_text";
    public const string OutputText = "output_text";
}

/// <summary>A message item added through the Conversations API (already validated by the caller).</summary>
[GenerateSerializer, Immutable, Alias("parley.new-conversation-item")]
public sealed record NewConversationItem(string Role, IReadOnlyList<ConversationContentPart> Content);

[GenerateSerializer, Alias("parley.item-order")]
public enum ItemOrder
{
    Ascending,
    Descending,
}

/// <param name="After">List the items that come after this item id in <paramref name="Order"/>.</param>
[GenerateSerializer, Immutable, Alias("parley.conversation-item-query")]
public sealed record ConversationItemQuery(int Limit, ItemOrder Order, string? After);

[GenerateSerializer, Alias("parley.conversation-lookup-status")]
public enum ConversationLookupStatus
{
    Found,
    ConversationNotFound,
    ItemNotFound,
}

/// <param name="Status"><see cref="ConversationLookupStatus.ItemNotFound"/> means the <c>after</c> cursor names no item.</param>
[GenerateSerializer, Immutable, Alias("parley.conversation-item-page")]
public sealed record ConversationItemPage(ConversationLookupStatus Status, IReadOnlyList<ConversationItem> Data, bool HasMore);

[GenerateSerializer, Immutable, Alias("parley.conversation-item-result")]
public sealed record ConversationItemResult(ConversationLookupStatus Status, ConversationItem? Item);

[GenerateSerializer, Immutable, Alias("parley.conversation-item-deletion")]
public sealed record ConversationItemDeletion(ConversationLookupStatus Status, ConversationInfo? Conversation);
