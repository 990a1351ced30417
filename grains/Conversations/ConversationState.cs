using System.Text.Json.Serialization;
using Parley.GrainInterfaces.Conversations;
using Parley.Grains.Conversations.Context;

namespace Parley.Grains.Conversations;

/// <summary>The persisted state of one conversation. An empty <see cref="OwnerUserId"/> means "never created".
/// <see cref="Items"/> is the whole transcript; the working context is derived from it, the summary and the budget.</summary>
public sealed class ConversationState
{
    private string? _systemPrompt;
    private ChatMessageRecord? _systemPromptMessage;

    public string OwnerUserId { get; set; } = "";

    /// <summary>Unix seconds.</summary>
    public long CreatedAt { get; set; }

    /// <summary>Unix milliseconds of the last change; the lifecycle archives the conversation after a quiet period.</summary>
    public long LastUsedAt { get; set; }

    public Dictionary<string, string> Metadata { get; set; } = [];

    public string? Model { get; set; }

    public string? SystemPrompt
    {
        get => _systemPrompt;
        set
        {
            _systemPrompt = value;
            _systemPromptMessage = null;
        }
    }

    public int? MaxContextTokens { get; set; }

    /// <summary>Personal data was redacted from this conversation: its answers are never cached.</summary>
    public bool CarriesRedactedData { get; set; }

    /// <summary>The encoding and budget of the last turn: what background summarising aims for.</summary>
    public string? LastEncoding { get; set; }

    public int LastBudget { get; set; }

    /// <summary>Sequence number of the last item added (item sequence numbers only grow, even across deletions).</summary>
    public long LastSeq { get; set; }

    public StoredSummary? Summary { get; set; }

    /// <summary>Oldest first.</summary>
    public List<StoredConversationItem> Items { get; set; } = [];

    /// <summary>Tokens of the pinned system prompt as a message, per encoding (0: not counted yet).</summary>
    public TokenCounts SystemPromptTokens { get; set; } = new();

    /// <summary>The pinned system prompt as the message at the head of every prompt (built once per value).</summary>
    public ChatMessageRecord? SystemPromptMessage()
        => _systemPrompt is null ? null : _systemPromptMessage ??= new ChatMessageRecord("system", ChatMessageConversion.ToSystemMessageJson(_systemPrompt));

    public ConversationSettings ToSettings() => new(Model, SystemPrompt, MaxContextTokens);
}

/// <summary>One item: the chat message exactly as it goes to the upstream, stored as raw JSON (not as an escaped
/// string). The Conversations API's view of it is derived from the message when listed; only an item added through
/// that API with part types other than its role's default keeps its parts beside the message.</summary>
public sealed class StoredConversationItem
{
    private ChatMessageRecord? _message;

    public required string Id { get; init; }

    public required string Role { get; init; }

    [JsonConverter(typeof(RawJsonConverter))]
    public required byte[] Message { get; init; }

    /// <summary>Null when the parts are what <see cref="ChatMessageConversion.ToContentParts"/> derives.</summary>
    public IReadOnlyList<ConversationContentPart>? Content { get; init; }

    /// <summary>Position in the conversation; the summary covers every item up to a sequence number.</summary>
    public long Seq { get; init; }

    public TokenCounts Tokens { get; init; } = new();

    public ConversationItem ToItem() => new(Id, Role, Content ?? ChatMessageConversion.ToContentParts(ToChatMessage()));

    /// <summary>Made once per item (sharing the bytes), so building a prompt does not allocate a record per message.</summary>
    public ChatMessageRecord ToChatMessage() => _message ??= new ChatMessageRecord(Role, Message);
}

/// <summary>The rolling summary of every item with a sequence number up to <see cref="CoversThroughSeq"/>.</summary>
public sealed class StoredSummary
{
    private ChatMessageRecord? _message;

    public required string Text { get; init; }

    /// <summary>The summary as the system message placed at the head of the prompt.</summary>
    [JsonConverter(typeof(RawJsonConverter))]
    public required byte[] Message { get; init; }

    public long CoversThroughSeq { get; init; }

    /// <summary>How many messages the summary folds in, over all rounds of summarising.</summary>
    public int SummarizedMessages { get; init; }

    /// <summary>Unix seconds.</summary>
    public long CreatedAt { get; init; }

    public TokenCounts Tokens { get; init; } = new();

    public ChatMessageRecord ToChatMessage() => _message ??= new ChatMessageRecord("system", Message);
}

/// <summary>Token counts of one message under each supported encoding, filled in when first needed (0: not counted;
/// every message costs at least its framing, so 0 is never a real count).</summary>
public sealed class TokenCounts
{
    [JsonPropertyName("o200k")]
    public int O200k { get; set; }

    [JsonPropertyName("cl100k")]
    public int Cl100k { get; set; }
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(ConversationState))]
public sealed partial class ConversationStateJsonContext : JsonSerializerContext;
