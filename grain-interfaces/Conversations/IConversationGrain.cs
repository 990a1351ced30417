using Parley.Runtime;

namespace Parley.GrainInterfaces.Conversations;

/// <summary>One conversation (key: conversation id). Every method takes the caller's user id: a conversation owned by
/// another user answers exactly as one that does not exist (null / false / NotFound), so one user never sees another's.</summary>
public interface IConversationGrain : IGrainWithStringKey
{
    // --- used by the chat completions path (silo/Chat) ---

    /// <summary>The stored messages to send before the caller's new ones, oldest first; null if the conversation does
    /// not exist for this user.</summary>
    Task<ConversationContext?> GetContextAsync(string userId);

    /// <summary>Appends one completed turn (the caller's new messages and the assistant's reply) atomically; false if
    /// the conversation does not exist for this user (e.g. deleted meanwhile).</summary>
    Task<bool> AppendTurnAsync(string userId, IReadOnlyList<ChatMessageRecord> userMessages, ChatMessageRecord assistantMessage);

    // --- the Conversations API (silo/Conversations) ---

    /// <summary>Creates the conversation owned by <paramref name="userId"/> with its first items; null if a
    /// conversation with this id already exists (the caller picks a fresh id).</summary>
    Task<ConversationInfo?> CreateAsync(string userId, IReadOnlyDictionary<string, string> metadata, IReadOnlyList<NewConversationItem> items);

    Task<ConversationInfo?> GetAsync(string userId);

    /// <summary>Replaces the metadata; null if the conversation does not exist for this user.</summary>
    Task<ConversationInfo?> UpdateMetadataAsync(string userId, IReadOnlyDictionary<string, string> metadata);

    /// <summary>Deletes the conversation and its items; false if it does not exist for this user.</summary>
    Task<bool> DeleteAsync(string userId);

    /// <summary>Appends items; null if the conversation does not exist for this user.</summary>
    Task<IReadOnlyList<ConversationItem>?> AddItemsAsync(string userId, IReadOnlyList<NewConversationItem> items);

    Task<ConversationItemPage> ListItemsAsync(string userId, ConversationItemQuery query);

    Task<ConversationItemResult> GetItemAsync(string userId, string itemId);

    /// <summary>Removes one item; on success the result carries the conversation.</summary>
    Task<ConversationItemDeletion> DeleteItemAsync(string userId, string itemId);
}

/// <summary>An OpenAI chat message kept verbatim: <see cref="Json"/> is the whole message object as the client sent it
/// (or the upstream returned it), so tool calls, names and multi-part content survive the round trip.</summary>
public sealed record ChatMessageRecord(string Role, string Json);

public sealed record ConversationContext(IReadOnlyList<ChatMessageRecord> Messages);
