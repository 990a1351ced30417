using System.Text.Json.Serialization;
using Parley.GrainInterfaces.Conversations;
using Parley.Grains.Conversations.Context;
using Parley.Grains.Conversations.Transcript;

namespace Parley.Grains.Conversations;

/// <summary>The persisted state of one conversation: its settings, the rolling summary and what background summarising
/// aims at. The transcript is not here: it is an append-only log beside this state (<see cref="ITranscriptStore"/>),
/// so a turn never rewrites the state. An empty <see cref="OwnerUserId"/> means "never created".</summary>
public sealed class ConversationState
{
    private string? _systemPrompt;
    private ChatMessageRecord? _systemPromptMessage;

    public string OwnerUserId { get; set; } = "";

    /// <summary>Unix seconds.</summary>
    public long CreatedAt { get; set; }

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

    /// <summary>Values pseudonymised on their way upstream: the transcript holds the placeholders, this the client's
    /// values (restored in replies). Deleted and archived with the conversation.</summary>
    public List<StoredPseudonym>? Pseudonyms { get; set; }

    /// <summary>The encoding and budget of the last turn: what background summarising aims for.</summary>
    public string? LastEncoding { get; set; }

    public int LastBudget { get; set; }

    public StoredSummary? Summary { get; set; }

    /// <summary>Tokens of the pinned system prompt as a message, per encoding (0: not counted yet).</summary>
    public TokenCounts SystemPromptTokens { get; set; } = new();

    /// <summary>The pinned system prompt as the message at the head of every prompt (built once per value).</summary>
    public ChatMessageRecord? SystemPromptMessage()
        => _systemPrompt is null ? null : _systemPromptMessage ??= new ChatMessageRecord("system", ChatMessageConversion.ToSystemMessageJson(_systemPrompt));

    public ConversationSettings ToSettings() => new(Model, SystemPrompt, MaxContextTokens);

    /// <summary>The first transcript entry not folded into the summary.</summary>
    public long FirstUnsummarizedSeq => (Summary?.CoversThroughSeq ?? 0) + 1;
}

/// <summary>One placeholder and the value it stands for.</summary>
public sealed class StoredPseudonym
{
    public required string Placeholder { get; init; }

    public required string Label { get; init; }

    public required string Value { get; init; }
}

/// <summary>The rolling summary of every entry with a sequence number up to <see cref="CoversThroughSeq"/>.</summary>
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

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(ConversationState))]
public sealed partial class ConversationStateJsonContext : JsonSerializerContext;
