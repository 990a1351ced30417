namespace Parley.GrainInterfaces.Conversations;

/// <summary>Which turn a chat completion is: the key it is stored under at most once, and what it asked.</summary>
/// <param name="Key">The client's <c>Idempotency-Key</c>, else one made for this request alone.</param>
/// <param name="MessagesHash">A hash of the new messages: a key sent again with other messages is a client error, not a retry.</param>
/// <param name="RequestId">The request asking: the same request may plan its prompt twice (a routing rule picked another
/// model), another request with the same key is a retry.</param>
/// <param name="Holder">The silo serving the request: while it lives and the turn is unanswered, a second request with
/// the same key waits for the first instead of calling the upstream again.</param>
[GenerateSerializer, Immutable, Alias("parley.turn-identity")]
public sealed record TurnIdentity(string Key, ulong MessagesHash, string RequestId, SiloAddress? Holder);

/// <summary>What the answer of a turn looked like, so that a replay is answered in the same shape.</summary>
/// <param name="ResponseId">The completion's id (<c>chatcmpl-…</c>), when the upstream gave one.</param>
/// <param name="Created">Unix seconds.</param>
/// <param name="Usage">The upstream's <c>usage</c> object as it sent it (UTF-8 JSON, details included), when it sent one.</param>
[GenerateSerializer, Immutable, Alias("parley.turn-reply")]
public sealed record TurnReply(string? ResponseId, long Created, string? Model, string? FinishReason, string? SystemFingerprint, byte[]? Usage)
{
    public static TurnReply Unknown { get; } = new(null, 0, null, null, null, null);
}

/// <summary>One completed turn to store: the caller's new messages and the assistant's reply.</summary>
[GenerateSerializer, Immutable, Alias("parley.conversation-turn")]
public sealed record ConversationTurn(TurnIdentity Turn, IReadOnlyList<ChatMessageRecord> UserMessages, ChatMessageRecord Assistant, TurnReply Reply);

/// <summary>A turn as stored: the assistant's reply and how it was answered.</summary>
[GenerateSerializer, Immutable, Alias("parley.stored-turn")]
public sealed record StoredTurn(ChatMessageRecord Assistant, TurnReply Reply);

[GenerateSerializer, Alias("parley.turn-append-status")]
public enum TurnAppendStatus
{
    Appended,

    /// <summary>A turn with the same key was stored before (a retry): nothing was appended.</summary>
    AlreadyStored,

    ConversationNotFound,
}

/// <param name="Stored">For <see cref="TurnAppendStatus.AlreadyStored"/>: the turn stored first.</param>
[GenerateSerializer, Immutable, Alias("parley.turn-append-result")]
public sealed record TurnAppendResult(TurnAppendStatus Status, StoredTurn? Stored = null)
{
    public static TurnAppendResult Appended { get; } = new(TurnAppendStatus.Appended);

    public static TurnAppendResult NotFound { get; } = new(TurnAppendStatus.ConversationNotFound);
}
