namespace Parley.GrainInterfaces.Conversations;

/// <summary>One conversation (key: conversation id). Every method takes the caller's user id: a conversation owned by
/// another user answers exactly as one that does not exist (null / false / NotFound), so one user never sees another's.</summary>
[Alias("parley.IConversationGrain")]
public interface IConversationGrain : IGrainWithStringKey
{
    // --- used by the chat completions path (silo/Chat) ---

    /// <summary>The compressed context to send before the caller's new messages, within the request's budget (see
    /// <see cref="PromptPlan"/>); <see cref="PromptStatus.ConversationNotFound"/> if it does not exist for this user.
    /// When <see cref="PromptRequest.Turn"/> names a turn that is already stored, the plan is
    /// <see cref="PromptStatus.Replay"/> with the stored answer, and nothing is to be sent upstream.</summary>
    Task<PromptPlan> BuildPromptAsync(string userId, PromptRequest request);

    /// <summary>Appends one completed turn (the caller's new messages and the assistant's reply) atomically, at most
    /// once per <see cref="TurnIdentity.Key"/>: a turn already stored under the key is not appended again, and the
    /// result carries the stored one.</summary>
    Task<TurnAppendResult> AppendTurnAsync(string userId, ConversationTurn turn);

    /// <summary>The turn <paramref name="turn"/> will not be appended (its upstream call failed or the client left): a
    /// retry with the same key may start at once.</summary>
    Task ReleaseTurnAsync(TurnIdentity turn);

    /// <summary>Records that personal data was redacted from what this conversation stores (its answers are never cached
    /// again) and gives each value its placeholder: the one it already has, else the next free number of its label.
    /// New pseudonyms are stored before this returns, so a placeholder never changes meaning. At most
    /// <paramref name="maxPseudonyms"/> are kept per conversation.</summary>
    Task<RedactionRecord> RecordRedactionAsync(string userId, IReadOnlyList<PseudonymRequest> values, int maxPseudonyms);

    // --- the Conversations API (silo/Conversations) ---

    /// <summary>Creates the conversation owned by <paramref name="userId"/> with its first items; null if a
    /// conversation with this id already exists (the caller picks a fresh id).</summary>
    Task<ConversationInfo?> CreateAsync(string userId, IReadOnlyDictionary<string, string> metadata, IReadOnlyList<NewConversationItem> items,
        ConversationSettings settings);

    Task<ConversationInfo?> GetAsync(string userId);

    /// <summary>Replaces the metadata (when not null) and changes the settings that are not null; null if the
    /// conversation does not exist for this user.</summary>
    Task<ConversationInfo?> UpdateAsync(string userId, IReadOnlyDictionary<string, string>? metadata, ConversationSettings settings);

    /// <summary>Deletes the conversation and its items; false if it does not exist for this user.</summary>
    Task<bool> DeleteAsync(string userId);

    /// <summary>Appends items; null if the conversation does not exist for this user.</summary>
    Task<IReadOnlyList<ConversationItem>?> AddItemsAsync(string userId, IReadOnlyList<NewConversationItem> items);

    Task<ConversationItemPage> ListItemsAsync(string userId, ConversationItemQuery query);

    Task<ConversationItemResult> GetItemAsync(string userId, string itemId);

    /// <summary>Removes one item; on success the result carries the conversation.</summary>
    Task<ConversationItemDeletion> DeleteItemAsync(string userId, string itemId);

    // --- operators, lifecycle and the background summariser ---

    /// <summary>The working context (summary, kept items and their token counts) for operators; no owner check, so
    /// only the admin API may call it. Null if the conversation does not exist.</summary>
    Task<WorkingContext?> GetWorkingContextAsync();

    /// <summary>Moves the conversation to the archive if it was last used at or before <paramref name="idleSince"/>;
    /// false if it is gone or was used since (a concurrent turn always wins).</summary>
    Task<bool> ArchiveIfIdleAsync(DateTimeOffset idleSince);

    /// <summary>Called by the grain's own background summariser; false if a newer summary or a deletion won.</summary>
    Task<bool> ApplySummaryAsync(ConversationSummaryUpdate update);
}

/// <summary>An OpenAI chat message kept verbatim: <see cref="Utf8Json"/> is the whole message object as the client sent
/// it (or the upstream returned it), so tool calls, names and multi-part content survive the round trip. Kept as UTF-8,
/// the form it arrives and leaves in: a prompt is written by copying bytes, never by transcoding or re-validating.</summary>
[GenerateSerializer, Immutable, Alias("parley.chat-message")]
public sealed record ChatMessageRecord(string Role, ReadOnlyMemory<byte> Utf8Json)
{
    public ChatMessageRecord(string role, string json)
        : this(role, System.Text.Encoding.UTF8.GetBytes(json))
    {
    }

    /// <summary>The message as text, decoded on each call: for tests and diagnostics, not hot paths.</summary>
    public string Json => System.Text.Encoding.UTF8.GetString(Utf8Json.Span);
}
