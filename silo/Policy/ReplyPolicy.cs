using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;
using Parley.GrainInterfaces.Conversations;
using Parley.Policy.Redaction;
using Parley.Policy.Rules;
using Parley.Policy.Streaming;

namespace Parley.Silo.Policy;

/// <summary>The policy on the way down for one exchange: placeholders back to the client's values, output rules
/// applied, in a JSON completion or chunk by chunk in a stream (one <see cref="StreamTextFilter"/> per choice and text:
/// content, refusal, each tool call's arguments). The transcript gets the reply with output rules applied but
/// placeholders kept (<see cref="ForStorage"/>), so what is sent upstream on later turns never carries the values.</summary>
internal sealed class ReplyPolicy(CompiledPolicy? policy, PseudonymVault? vault, int maxHoldBack)
{
    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
    private readonly Dictionary<(int Choice, string Field, int Tool), StreamTextFilter> _filters = [];
    private readonly HashSet<int> _finished = [];
    private byte[]? _lastHead;

    public CompiledPolicy? Policy { get; } = policy is { HasOutput: true } ? policy : null;

    public PseudonymVault? Vault { get; } = vault is { Count: > 0 } ? vault : null;

    /// <summary>Whether the reply needs rewriting at all.</summary>
    public bool IsActive => Policy is not null || Vault is not null;

    /// <summary>The rule that withholds the answer, once one matched.</summary>
    public PolicyRule? BlockedBy { get; private set; }

    /// <summary>Output matches per rule so far (flagged or masked values).</summary>
    public Dictionary<PolicyRule, int> Hits { get; } = [];

    // ---- JSON completions ----

    /// <summary>The completion as the client gets it (null when it is not one this can read: relayed as is).</summary>
    public byte[]? RewriteCompletion(ReadOnlySpan<byte> json)
    {
        using var document = TryParse(json);
        if (document is null || document.RootElement.ValueKind != JsonValueKind.Object)
        {
            return null;
        }
        var output = new ArrayBufferWriter<byte>(json.Length + 64);
        using (var writer = new Utf8JsonWriter(output, WriterOptions))
        {
            WriteObject(writer, document.RootElement, "choices"u8, (w, choice, index) => WriteChoice(w, choice, index, "message"u8, stream: false));
        }
        return BlockedBy is null ? output.WrittenSpan.ToArray() : null;
    }

    /// <summary>The assistant message as the transcript keeps it: output rules applied, placeholders not restored.</summary>
    public ChatMessageRecord ForStorage(ChatMessageRecord assistant)
    {
        if (Policy is null)
        {
            return assistant;
        }
        var storage = new ReplyPolicy(Policy, null, maxHoldBack);
        using var document = TryParse(assistant.Utf8Json.Span);
        if (document is null)
        {
            return assistant;
        }
        var output = new ArrayBufferWriter<byte>(assistant.Utf8Json.Length + 32);
        using (var writer = new Utf8JsonWriter(output, WriterOptions))
        {
            storage.WriteMessage(writer, document.RootElement, 0, stream: false, finishing: true);
        }
        return new ChatMessageRecord(assistant.Role, output.WrittenSpan.ToArray());
    }

    /// <summary>A stored assistant message (placeholders) as the client gets it in a replay.</summary>
    public static ReadOnlyMemory<byte> RestoreStored(ReadOnlyMemory<byte> assistantJson, PseudonymVault? vault, int maxHoldBack)
    {
        if (vault is not { Count: > 0 })
        {
            return assistantJson;
        }
        var restore = new ReplyPolicy(null, vault, maxHoldBack);
        using var document = TryParse(assistantJson.Span);
        if (document is null)
        {
            return assistantJson;
        }
        var output = new ArrayBufferWriter<byte>(assistantJson.Length + 64);
        using (var writer = new Utf8JsonWriter(output, WriterOptions))
        {
            restore.WriteMessage(writer, document.RootElement, 0, stream: false, finishing: true);
        }
        return output.WrittenSpan.ToArray();
    }

    // ---- streamed chunks ----

    /// <summary>One chunk's JSON data as the client gets it (null when it cannot be read: relayed as is). Check
    /// <see cref="BlockedBy"/> after each call: a blocked answer must end.</summary>
    public byte[]? RewriteChunk(ReadOnlySequence<byte> data)
    {
        using var document = TryParse(data);
        if (document is null || document.RootElement.ValueKind != JsonValueKind.Object)
        {
            return null;
        }
        var root = document.RootElement;
        var output = new ArrayBufferWriter<byte>((int)data.Length + 64);
        using (var writer = new Utf8JsonWriter(output, WriterOptions))
        {
            WriteObject(writer, root, "choices"u8, (w, choice, index) => WriteChoice(w, choice, index, "delta"u8, stream: true));
        }
        RememberHead(root);
        return output.WrittenSpan.ToArray();
    }

    /// <summary>At the end of a stream: a chunk carrying whatever is still held back (for choices that never sent a
    /// finish reason), or null.</summary>
    public byte[]? FlushChunk()
    {
        var open = _filters.Where(f => !_finished.Contains(f.Key.Choice)).ToList();
        if (open.Count == 0 || _lastHead is null)
        {
            return null;
        }
        using var head = JsonDocument.Parse(_lastHead);
        var output = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(output, WriterOptions))
        {
            writer.WriteStartObject();
            foreach (var property in head.RootElement.EnumerateObject())
            {
                property.WriteTo(writer);
            }
            writer.WriteStartArray("choices"u8);
            foreach (var choice in open.Select(f => f.Key.Choice).Distinct().Order())
            {
                writer.WriteStartObject();
                writer.WriteNumber("index"u8, choice);
                writer.WriteStartObject("delta"u8);
                WriteHeldBack(writer, choice, present: []);
                writer.WriteEndObject();
                writer.WriteNull("finish_reason"u8);
                writer.WriteEndObject();
                _finished.Add(choice);
            }
            writer.WriteEndArray();
            writer.WriteEndObject();
        }
        return BlockedBy is null ? output.WrittenSpan.ToArray() : null;
    }

    private void RememberHead(JsonElement root)
    {
        if (_lastHead is not null)
        {
            return;
        }
        var output = new ArrayBufferWriter<byte>(128);
        using (var writer = new Utf8JsonWriter(output, WriterOptions))
        {
            writer.WriteStartObject();
            foreach (var property in root.EnumerateObject())
            {
                if (property.NameEquals("id"u8) || property.NameEquals("object"u8) || property.NameEquals("created"u8) || property.NameEquals("model"u8)
                    || property.NameEquals("system_fingerprint"u8))
                {
                    property.WriteTo(writer);
                }
            }
            writer.WriteEndObject();
        }
        _lastHead = output.WrittenSpan.ToArray();
    }

    // ---- writing ----

    private static void WriteObject(Utf8JsonWriter writer, JsonElement root, ReadOnlySpan<byte> arrayName, Action<Utf8JsonWriter, JsonElement, int> writeItem)
    {
        writer.WriteStartObject();
        foreach (var property in root.EnumerateObject())
        {
            if (property.NameEquals(arrayName) && property.Value.ValueKind == JsonValueKind.Array)
            {
                writer.WriteStartArray(arrayName);
                var position = 0;
                foreach (var item in property.Value.EnumerateArray())
                {
                    writeItem(writer, item, position++);
                }
                writer.WriteEndArray();
            }
            else
            {
                property.WriteTo(writer);
            }
        }
        writer.WriteEndObject();
    }

    private void WriteChoice(Utf8JsonWriter writer, JsonElement choice, int position, ReadOnlySpan<byte> messageName, bool stream)
    {
        if (choice.ValueKind != JsonValueKind.Object)
        {
            choice.WriteTo(writer);
            return;
        }
        var index = choice.TryGetProperty("index"u8, out var i) && i.TryGetInt32(out var n) ? n : position;
        var finishing = !stream || (choice.TryGetProperty("finish_reason"u8, out var finish) && finish.ValueKind == JsonValueKind.String);
        writer.WriteStartObject();
        var wroteMessage = false;
        foreach (var property in choice.EnumerateObject())
        {
            if (property.NameEquals(messageName) && property.Value.ValueKind == JsonValueKind.Object)
            {
                writer.WritePropertyName(messageName);
                WriteMessage(writer, property.Value, index, stream, finishing);
                wroteMessage = true;
            }
            else
            {
                property.WriteTo(writer);
            }
        }
        if (stream && finishing && !wroteMessage && HasHeldBack(index))
        {
            writer.WriteStartObject(messageName);
            WriteHeldBack(writer, index, present: []);
            writer.WriteEndObject();
        }
        writer.WriteEndObject();
        if (stream && finishing)
        {
            _finished.Add(index);
        }
    }

    /// <summary>A message or delta: its content, refusal and tool-call arguments filtered; with
    /// <paramref name="finishing"/>, what was held back for this choice is released into it.</summary>
    private void WriteMessage(Utf8JsonWriter writer, JsonElement message, int choice, bool stream, bool finishing)
    {
        writer.WriteStartObject();
        var present = new HashSet<(string, int)>();
        foreach (var property in message.EnumerateObject())
        {
            var value = property.Value;
            if ((property.NameEquals("content"u8) || property.NameEquals("refusal"u8)) && value.ValueKind == JsonValueKind.String)
            {
                var field = property.Name;
                present.Add((field, -1));
                writer.WriteString(field, Filter(choice, field, -1, value.GetString()!, stream, finishing, json: false));
            }
            else if (property.NameEquals("tool_calls"u8) && value.ValueKind == JsonValueKind.Array)
            {
                writer.WriteStartArray("tool_calls"u8);
                var position = 0;
                foreach (var call in value.EnumerateArray())
                {
                    var tool = call.ValueKind == JsonValueKind.Object && call.TryGetProperty("index"u8, out var t) && t.TryGetInt32(out var k) ? k : position;
                    position++;
                    WriteToolCall(writer, call, choice, tool, stream, finishing);
                    present.Add(("arguments", tool));
                }
                if (stream && finishing)
                {
                    WriteHeldBackToolCalls(writer, choice, present);
                }
                writer.WriteEndArray();
            }
            else
            {
                property.WriteTo(writer);
            }
        }
        if (stream && finishing)
        {
            WriteHeldBack(writer, choice, present);
        }
        writer.WriteEndObject();
    }

    private void WriteToolCall(Utf8JsonWriter writer, JsonElement call, int choice, int tool, bool stream, bool finishing)
    {
        if (call.ValueKind != JsonValueKind.Object)
        {
            call.WriteTo(writer);
            return;
        }
        writer.WriteStartObject();
        foreach (var property in call.EnumerateObject())
        {
            if (property.NameEquals("function"u8) && property.Value.ValueKind == JsonValueKind.Object)
            {
                writer.WriteStartObject("function"u8);
                foreach (var field in property.Value.EnumerateObject())
                {
                    if (field.NameEquals("arguments"u8) && field.Value.ValueKind == JsonValueKind.String)
                    {
                        writer.WriteString("arguments"u8, Filter(choice, "arguments", tool, field.Value.GetString()!, stream, finishing, json: true));
                    }
                    else
                    {
                        field.WriteTo(writer);
                    }
                }
                writer.WriteEndObject();
            }
            else
            {
                property.WriteTo(writer);
            }
        }
        writer.WriteEndObject();
    }

    private string Filter(int choice, string field, int tool, string text, bool stream, bool finishing, bool json)
    {
        if (!IsActive)
        {
            return text;
        }
        if (!stream)
        {
            var whole = new StreamTextFilter(Policy, Vault, maxHoldBack, json);
            var result = whole.Apply(text);
            Collect(whole);
            return result;
        }
        if (!_filters.TryGetValue((choice, field, tool), out var filter))
        {
            _filters[(choice, field, tool)] = filter = new StreamTextFilter(Policy, Vault, maxHoldBack, json);
        }
        var released = filter.Push(text);
        if (finishing)
        {
            released += filter.Flush();
            _filters.Remove((choice, field, tool));
        }
        Collect(filter);
        return released;
    }

    private bool HasHeldBack(int choice) => _filters.Keys.Any(k => k.Choice == choice);

    /// <summary>Releases the held-back text of a choice's content and refusal into the current delta (fields the delta
    /// did not carry itself).</summary>
    private void WriteHeldBack(Utf8JsonWriter writer, int choice, HashSet<(string, int)> present)
    {
        foreach (var field in new[] { "content", "refusal" })
        {
            if (!present.Contains((field, -1)) && _filters.Remove((choice, field, -1), out var filter))
            {
                var rest = filter.Flush();
                Collect(filter);
                if (rest.Length > 0)
                {
                    writer.WriteString(field, rest);
                }
            }
        }
        if (!present.Any(p => p.Item1 == "arguments") && _filters.Keys.Any(k => k.Choice == choice && k.Field == "arguments"))
        {
            writer.WriteStartArray("tool_calls"u8);
            WriteHeldBackToolCalls(writer, choice, present);
            writer.WriteEndArray();
        }
    }

    private void WriteHeldBackToolCalls(Utf8JsonWriter writer, int choice, HashSet<(string, int)> present)
    {
        foreach (var key in _filters.Keys.Where(k => k.Choice == choice && k.Field == "arguments" && !present.Contains(("arguments", k.Tool))).ToList())
        {
            var filter = _filters[key];
            _filters.Remove(key);
            var rest = filter.Flush();
            Collect(filter);
            if (rest.Length > 0)
            {
                writer.WriteStartObject();
                writer.WriteNumber("index"u8, key.Tool);
                writer.WriteStartObject("function"u8);
                writer.WriteString("arguments"u8, rest);
                writer.WriteEndObject();
                writer.WriteEndObject();
            }
        }
    }

    private void Collect(StreamTextFilter filter)
    {
        BlockedBy ??= filter.BlockedBy;
        foreach (var (rule, count) in filter.Hits)
        {
            Hits[rule] = Hits.GetValueOrDefault(rule) + count;
        }
        filter.Hits.Clear();
    }

    private static JsonDocument? TryParse(ReadOnlySpan<byte> json)
    {
        try
        {
            var reader = new Utf8JsonReader(json);
            return JsonDocument.ParseValue(ref reader);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static JsonDocument? TryParse(ReadOnlySequence<byte> json)
    {
        try
        {
            return JsonDocument.Parse(json);
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
