namespace Parley.GrainInterfaces.Conversations;

/// <summary>The per-conversation settings a client may set when it creates or updates a conversation. Null leaves a
/// setting unset (create) or unchanged (update).</summary>
/// <param name="Model">The public model the conversation uses when a turn does not name one, and whose context window
/// the operator view reports against.</param>
/// <param name="SystemPrompt">A system prompt pinned at the head of every prompt; never summarised or dropped.</param>
/// <param name="MaxContextTokens">A token budget lower than the model's window minus the reply reservation.</param>
[GenerateSerializer, Immutable, Alias("parley.conversation-settings")]
public sealed record ConversationSettings(string? Model = null, string? SystemPrompt = null, int? MaxContextTokens = null)
{
    public static ConversationSettings None { get; } = new();
}

/// <summary>What one chat turn asks of its conversation: the prompt must fit <see cref="ContextBudget"/> tokens.</summary>
/// <param name="Model">The public model of this turn.</param>
/// <param name="Encoding">The tokenizer encoding of that model (<c>o200k_base</c> or <c>cl100k_base</c>).</param>
/// <param name="ContextBudget">Most prompt tokens this turn may send (reply priming included): the model's context
/// window minus the reply reservation, already reduced by the estimate margin when the encoding is a guess.</param>
/// <param name="NewMessagesTokens">Tokens of the caller's new messages (framing included, reply priming not).</param>
/// <param name="Turn">Which turn this is: a turn already stored under its key is replayed, not asked again.</param>
[GenerateSerializer, Immutable, Alias("parley.prompt-request")]
public sealed record PromptRequest(string Model, string Encoding, int ContextBudget, int NewMessagesTokens, TurnIdentity? Turn = null);

[GenerateSerializer, Alias("parley.prompt-status")]
public enum PromptStatus
{
    Ready,
    ConversationNotFound,

    /// <summary>The pinned system prompt and the new messages alone exceed the budget.</summary>
    TooLong,

    /// <summary>The turn is already stored (a retry): <see cref="PromptPlan.Replay"/> is its answer.</summary>
    Replay,

    /// <summary>Another request with the same turn key is being answered right now.</summary>
    TurnInProgress,

    /// <summary>The turn key was used before with other messages.</summary>
    TurnKeyReused,
}

/// <summary>The compressed context to send before the caller's new messages.</summary>
/// <param name="Messages">Pinned system prompt, then the rolling summary (as a system message), then the most recent
/// stored messages that fit, oldest first.</param>
/// <param name="PromptTokens">Tokens of the whole prompt: these messages, the new ones and the reply priming.</param>
/// <param name="Budget">The budget applied (the request's, or the conversation's lower one).</param>
/// <param name="DroppedMessages">Stored messages neither summarised nor sent because they did not fit.</param>
/// <param name="SummaryUsed">The rolling summary is part of <paramref name="Messages"/>.</param>
/// <param name="CarriesRedactedData">Personal data was redacted from this conversation (the response cache stays off).</param>
/// <param name="Replay">For <see cref="PromptStatus.Replay"/>: the stored answer of the turn.</param>
/// <param name="Pseudonyms">The conversation's pseudonyms (placeholders in its messages and the client's values), for
/// restoring the reply; null when it has none.</param>
[GenerateSerializer, Immutable, Alias("parley.prompt-plan")]
public sealed record PromptPlan(
    PromptStatus Status,
    IReadOnlyList<ChatMessageRecord> Messages,
    int PromptTokens,
    int Budget,
    int DroppedMessages,
    bool SummaryUsed,
    bool CarriesRedactedData,
    StoredTurn? Replay = null,
    IReadOnlyList<Pseudonym>? Pseudonyms = null)
{
    public static PromptPlan NotFound { get; } = Of(PromptStatus.ConversationNotFound);

    /// <summary>A plan that sends nothing, only a status.</summary>
    public static PromptPlan Of(PromptStatus status) => new(status, [], 0, 0, 0, false, false);
}

/// <summary>A rolling summary produced in the background, to be applied by the grain if nothing newer replaced the
/// summary it extends.</summary>
/// <param name="BaseCoversThroughSeq">The sequence number the previous summary covered (0: none); the update is
/// dropped when the stored summary no longer covers exactly that.</param>
/// <param name="CoversThroughSeq">The last item sequence number the new summary folds in.</param>
[GenerateSerializer, Immutable, Alias("parley.conversation-summary-update")]
public sealed record ConversationSummaryUpdate(string Text, long BaseCoversThroughSeq, long CoversThroughSeq, int SummarizedMessages);

/// <summary>The operator's view of a conversation: what the next prompt would be built from, and where it is
/// activated (<see cref="Silo"/>, the Orleans address of the silo holding it).</summary>
[GenerateSerializer, Immutable, Alias("parley.working-context")]
public sealed record WorkingContext(
    string ConversationId,
    string OwnerUserId,
    string? Model,
    string? Encoding,
    int? Budget,
    WorkingContextSystemPrompt? SystemPrompt,
    WorkingContextSummary? Summary,
    IReadOnlyList<WorkingContextItem> Items,
    int ContextTokens,
    int TranscriptItems,
    int DroppedItems,
    bool SummaryPending,
    long LastUsedAt,
    string Silo);

[GenerateSerializer, Immutable, Alias("parley.working-context-system-prompt")]
public sealed record WorkingContextSystemPrompt(string Text, int Tokens);

/// <param name="CreatedAt">Unix seconds.</param>
[GenerateSerializer, Immutable, Alias("parley.working-context-summary")]
public sealed record WorkingContextSummary(string Text, int Tokens, long CoversThroughSeq, int SummarizedMessages, long CreatedAt);

[GenerateSerializer, Immutable, Alias("parley.working-context-item")]
public sealed record WorkingContextItem(string Id, string Role, long Seq, int Tokens);
