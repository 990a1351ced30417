using Parley.Runtime;

namespace Parley.GrainInterfaces.Conversations;

/// <summary>One conversation (key: conversation id). Every method takes the caller's user id: a conversation owned by
/// another user answers exactly as one that does not exist (null / false), so one user never sees another's.</summary>
public interface IConversationGrain : IGrainWithStringKey
{
    // --- used by the chat completions path (silo/Chat) ---

    /// <summary>The stored messages to send before the caller's new ones, oldest first; null if the conversation does
    /// not exist for this user.</summary>
    Task<ConversationContext?> GetContextAsync(string userId);

    /// <summary>Appends one completed turn (the caller's new messages and the assistant's reply) atomically; false if
    /// the conversation does not exist for this user (e.g. deleted meanwhile).</summary>
    Task<bool> AppendTurnAsync(string userId, IReadOnlyList<ChatMessageRecord> userMessages, ChatMessageRecord assistantMessage);

    // --- the Conversations API (silo/Conversations) adds its methods here ---
}

/// <summary>An OpenAI chat message kept verbatim: <see cref="Json"/> is the whole message object as the client sent it
/// (or the upstream returned it), so tool calls, names and multi-part content survive the round trip.</summary>
public sealed record ChatMessageRecord(string Role, string Json);

public sealed record ConversationContext(IReadOnlyList<ChatMessageRecord> Messages);
