using System.Buffers;
using System.Text;
using System.Text.Json;
using Parley.GrainInterfaces.Conversations;

namespace Parley.Silo.Chat;

/// <summary>Rebuilds the assistant message of a streamed completion from its deltas (content, refusal, tool calls),
/// so a streamed turn is stored exactly like a non-streamed one, and notes how it was answered (id, model, finish
/// reason) for a replay. Only used when the request continues a conversation.</summary>
internal sealed class AssistantMessageBuilder
{
    private const string AssistantRole = "assistant";

    private string? _id;
    private long _created;
    private string? _model;
    private string? _fingerprint;
    private string? _finishReason;
    private byte[]? _usage;

    private readonly StringBuilder _content = new();
    private readonly StringBuilder _refusal = new();
    private readonly SortedDictionary<int, ToolCall> _toolCalls = [];
    private bool _hasContent;
    private bool _hasRefusal;

    /// <summary>Adds the first choice's delta of one chunk (its JSON data).</summary>
    public void AddChunk(ReadOnlySequence<byte> json)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json);
        }
        catch (JsonException)
        {
            // The relay passes such an event on untouched; there is nothing in it to store.
            return;
        }
        using var _ = document;
        var root = document.RootElement;
        if (root.ValueKind != JsonValueKind.Object)
        {
            return;
        }
        if (_id is null)
        {
            (_id, _created, _model, _fingerprint) = TurnReplies.Head(root);
        }
        _usage = TurnReplies.Usage(root) ?? _usage;
        if (!root.TryGetProperty("choices"u8, out var choices) || choices.ValueKind != JsonValueKind.Array)
        {
            return;
        }
        foreach (var choice in choices.EnumerateArray())
        {
            // With n > 1 the conversation keeps choice 0, as the non-streamed path does.
            if (choice.ValueKind != JsonValueKind.Object
                || (choice.TryGetProperty("index"u8, out var index) && index.ValueKind == JsonValueKind.Number && index.GetInt32() != 0)
                || !choice.TryGetProperty("delta"u8, out var delta) || delta.ValueKind != JsonValueKind.Object)
            {
                continue;
            }
            AddDelta(delta);
            if (choice.TryGetProperty("finish_reason"u8, out var finish) && finish.ValueKind == JsonValueKind.String)
            {
                _finishReason = finish.GetString();
            }
        }
    }

    /// <summary>How the stream answered, with the usage it reported (if any).</summary>
    public TurnReply BuildReply() => new(_id, _created, _model, _finishReason, _fingerprint, _usage);

    private void AddDelta(JsonElement delta)
    {
        if (delta.TryGetProperty("content"u8, out var content) && content.ValueKind == JsonValueKind.String)
        {
            _content.Append(content.GetString());
            _hasContent = true;
        }
        if (delta.TryGetProperty("refusal"u8, out var refusal) && refusal.ValueKind == JsonValueKind.String)
        {
            _refusal.Append(refusal.GetString());
            _hasRefusal = true;
        }
        if (delta.TryGetProperty("tool_calls"u8, out var toolCalls) && toolCalls.ValueKind == JsonValueKind.Array)
        {
            foreach (var fragment in toolCalls.EnumerateArray())
            {
                AddToolCallFragment(fragment);
            }
        }
    }

    private void AddToolCallFragment(JsonElement fragment)
    {
        if (fragment.ValueKind != JsonValueKind.Object)
        {
            return;
        }
        var index = fragment.TryGetProperty("index"u8, out var i) && i.ValueKind == JsonValueKind.Number ? i.GetInt32() : _toolCalls.Count;
        if (!_toolCalls.TryGetValue(index, out var call))
        {
            call = new ToolCall();
            _toolCalls.Add(index, call);
        }
        if (fragment.TryGetProperty("id"u8, out var id) && id.ValueKind == JsonValueKind.String)
        {
            call.Id = id.GetString();
        }
        if (fragment.TryGetProperty("type"u8, out var type) && type.ValueKind == JsonValueKind.String)
        {
            call.Type = type.GetString();
        }
        if (fragment.TryGetProperty("function"u8, out var function) && function.ValueKind == JsonValueKind.Object)
        {
            if (function.TryGetProperty("name"u8, out var name) && name.ValueKind == JsonValueKind.String)
            {
                call.Name += name.GetString();
            }
            if (function.TryGetProperty("arguments"u8, out var arguments) && arguments.ValueKind == JsonValueKind.String)
            {
                call.Arguments.Append(arguments.GetString());
            }
        }
    }

    /// <summary>The message as OpenAI returns it in a non-streamed completion.</summary>
    public ChatMessageRecord Build()
    {
        var output = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(output))
        {
            writer.WriteStartObject();
            writer.WriteString("role"u8, AssistantRole);
            if (_hasContent || _toolCalls.Count == 0)
            {
                writer.WriteString("content"u8, _content.ToString());
            }
            else
            {
                writer.WriteNull("content"u8);
            }
            if (_hasRefusal)
            {
                writer.WriteString("refusal"u8, _refusal.ToString());
            }
            if (_toolCalls.Count > 0)
            {
                writer.WriteStartArray("tool_calls"u8);
                foreach (var call in _toolCalls.Values)
                {
                    writer.WriteStartObject();
                    writer.WriteString("id"u8, call.Id);
                    writer.WriteString("type"u8, call.Type ?? "function");
                    writer.WriteStartObject("function"u8);
                    writer.WriteString("name"u8, call.Name);
                    writer.WriteString("arguments"u8, call.Arguments.ToString());
                    writer.WriteEndObject();
                    writer.WriteEndObject();
                }
                writer.WriteEndArray();
            }
            writer.WriteEndObject();
        }
        return new ChatMessageRecord(AssistantRole, output.WrittenSpan.ToArray());
    }

    private sealed class ToolCall
    {
        public string? Id { get; set; }
        public string? Type { get; set; }
        public string? Name { get; set; }
        public StringBuilder Arguments { get; } = new();
    }
}
