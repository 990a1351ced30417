using System.Diagnostics.CodeAnalysis;
using Parley.GrainInterfaces.Conversations;
using Parley.Grains.Conversations.Context;

namespace Parley.Grains.Conversations.Transcript;

/// <summary>One item of a conversation's transcript: the chat message exactly as it goes upstream (raw UTF-8 JSON), its
/// token counts, and, on the reply that ends a chat turn, the turn's key and how it was answered. The Conversations API's
/// view is derived from the message when listed; only an item added through that API with part types other than its
/// role's default keeps its parts beside the message.</summary>
public sealed class TranscriptEntry
{
    private ChatMessageRecord? _message;
    private string? _id;
    private TurnMark? _turn;
    private bool _turnRead;

    /// <summary>The stored header of an entry read from the store, from which <see cref="Id"/> and <see cref="Turn"/> are
    /// decoded when first asked for: an activation reads hundreds of entries and builds prompts from their messages and
    /// token counts alone. Empty for an entry made in the grain.</summary>
    private ReadOnlyMemory<byte> _header;

    public TranscriptEntry()
    {
    }

    /// <summary>An entry read from the store: <paramref name="header"/> is its stored header, kept (not copied) for
    /// the fields decoded when first asked for.</summary>
    [SetsRequiredMembers]
#pragma warning disable CS8618 // Id is not null: its getter decodes it from the header Decode has checked.
    internal TranscriptEntry(long seq, string role, ReadOnlyMemory<byte> message, ReadOnlyMemory<byte> header)
    {
        Seq = seq;
        Role = role;
        Message = message;
        _header = header;
    }
#pragma warning restore CS8618

    /// <summary>Position in the conversation, from 1; given by the store when the entry is appended. The summary covers
    /// every entry up to a sequence number.</summary>
    public long Seq { get; set; }

    public required string Id
    {
        get => _id ??= TranscriptEntryCodec.ReadId(_header, Seq);
        init => _id = value;
    }

    public required string Role { get; init; }

    public required ReadOnlyMemory<byte> Message { get; init; }

    /// <summary>Null when the parts are what <see cref="ChatMessageConversion.ToContentParts"/> derives.</summary>
    public IReadOnlyList<ConversationContentPart>? Content { get; init; }

    public TokenCounts Tokens { get; init; } = new();

    /// <summary>Set on the assistant reply that ends a chat turn.</summary>
    public TurnMark? Turn
    {
        get
        {
            if (!_turnRead)
            {
                _turn = TranscriptEntryCodec.ReadTurn(_header);
                _turnRead = true;
            }
            return _turn;
        }
        init => (_turn, _turnRead) = (value, true);
    }

    /// <summary>The key of the chat turn this entry ends (null if it ends none), without decoding the rest of the turn.</summary>
    public string? TurnKey => _turnRead ? _turn?.Key : TranscriptEntryCodec.ReadTurnKey(_header);

    /// <summary>The message's tokens under <paramref name="encoding"/>, counted once and then kept in <see cref="Tokens"/>.</summary>
    public int TokensUnder(string encoding) => ConversationTokens.Of(Tokens, Message, encoding);

    public ConversationItem ToItem() => new(Id, Role, Content ?? ChatMessageConversion.ToContentParts(ToChatMessage()));

    /// <summary>Made once per entry (sharing the bytes), so building a prompt does not allocate a record per message.</summary>
    public ChatMessageRecord ToChatMessage() => _message ??= new ChatMessageRecord(Role, Message);
}

/// <summary>The chat turn an entry ends: its idempotency key, the hash of the messages that asked it, how many entries
/// it spans (the user's messages and this reply) and how the upstream answered.</summary>
public sealed record TurnMark(string Key, ulong MessagesHash, int Entries, TurnReply Reply)
{
    public StoredTurn ToStoredTurn(TranscriptEntry reply) => new(reply.ToChatMessage(), Reply);
}

/// <summary>Token counts of one message under each supported encoding, filled in when first needed (0: not counted;
/// every message costs at least its framing, so 0 is never a real count).</summary>
public sealed class TokenCounts
{
    public int O200k { get; set; }

    public int Cl100k { get; set; }
}
