using System.Text.Json;

namespace Parley.Silo.Providers.Anthropic;

/// <summary>Translates the events of one Anthropic message stream, each as soon as it is complete, into OpenAI
/// <c>chat.completion.chunk</c> events written to an output queue. Holds what later chunks repeat (id, model), the
/// usage so far, and which content blocks are tool calls. Each event is read to the end before anything is written,
/// so an event that turns out malformed is dropped whole.</summary>
internal sealed class AnthropicEventTranslator(PooledByteQueue output, long created)
{
    private static ReadOnlySpan<byte> DataPrefix => "data: "u8;
    private static ReadOnlySpan<byte> EventEnd => "\n\n"u8;
    private static ReadOnlySpan<byte> DoneEvent => "data: [DONE]\n\n"u8;

    private readonly Utf8JsonWriter _writer = new(Stream.Null, JsonText.WriterOptions);
    private readonly ToolCallOrdinals _tools = new();
    private byte[]? _id;
    private byte[]? _model;
    private AnthropicUsage _usage;

    /// <summary>After <c>message_stop</c> or an <c>error</c> event: nothing more is translated.</summary>
    public bool IsFinished { get; private set; }

    /// <summary>Translates one event's data (a JSON object; <paramref name="eventName"/> is the SSE event name, used only
    /// when the data carries no <c>type</c>). Unknown events, and events before <c>message_start</c>, write nothing.</summary>
    public void Translate(ReadOnlySpan<byte> eventName, ReadOnlySpan<byte> data)
    {
        if (IsFinished)
        {
            return;
        }
        try
        {
            var type = EventType(data);
            if (type.IsEmpty)
            {
                type = eventName;
            }
            if (type.SequenceEqual("error"u8))
            {
                WriteError(data);
            }
            else if (type.SequenceEqual("message_start"u8))
            {
                StartMessage(data);
            }
            else if (_id is null)
            {
                // Without message_start there is no id to give the chunks: such a stream is broken, and is left to
                // end without [DONE].
            }
            else if (type.SequenceEqual("content_block_start"u8))
            {
                StartBlock(data);
            }
            else if (type.SequenceEqual("content_block_delta"u8))
            {
                AddDelta(data);
            }
            else if (type.SequenceEqual("content_block_stop"u8))
            {
                StopBlock(data);
            }
            else if (type.SequenceEqual("message_delta"u8))
            {
                UpdateMessage(data);
            }
            else if (type.SequenceEqual("message_stop"u8))
            {
                StopMessage();
            }
        }
        catch (JsonException)
        {
            // A malformed event is passed over, as the relay passes over what it cannot read.
        }
    }

    private static ReadOnlySpan<byte> EventType(ReadOnlySpan<byte> data)
    {
        var reader = new Utf8JsonReader(data);
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            return default;
        }
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var isType = reader.ValueTextEquals("type"u8);
            reader.Read();
            if (isType)
            {
                // Event types are plain ASCII names: an escaped one is no type we know.
                return reader.TokenType == JsonTokenType.String && !reader.ValueIsEscaped ? reader.ValueSpan : default;
            }
            reader.Skip();
        }
        return default;
    }

    private void StartMessage(ReadOnlySpan<byte> data)
    {
        if (_id is not null)
        {
            return;
        }
        var header = StreamEventReader.ReadMessageStart(data, ref _usage);
        _id = new byte[AnthropicResponseTranslator.CompletionIdLength(header.EscapedId)];
        AnthropicResponseTranslator.BuildCompletionId(header.EscapedId, _id);
        _model = header.Model.IsEmpty ? "\"\""u8.ToArray() : header.Model.ToArray();
        BeginChunk();
        _writer.WriteString(ChunkNames.Role, "assistant"u8);
        _writer.WriteString(ChunkNames.Content, ""u8);
        EndChunk(null);
    }

    private void StartBlock(ReadOnlySpan<byte> data)
    {
        var (index, block) = StreamEventReader.ReadBlockStart(data);
        if (block.Kind == ContentBlockKind.Text && AnthropicContentBlock.IsPresent(block.Text) && data[block.Text].Length > 2)
        {
            WriteContent(data[block.Text]);
            return;
        }
        if (block.Kind != ContentBlockKind.ToolUse)
        {
            return;
        }
        var ordinal = _tools.Add(index);
        BeginChunk();
        _writer.WriteStartArray(ChunkNames.ToolCalls);
        _writer.WriteStartObject();
        _writer.WriteNumber(ChunkNames.Index, ordinal);
        _writer.WritePropertyName(ChunkNames.Id);
        _writer.WriteRawValue(AnthropicContentBlock.IsPresent(block.Id) ? data[block.Id] : "\"\""u8, skipInputValidation: true);
        _writer.WriteString(ChunkNames.Type, "function"u8);
        _writer.WriteStartObject(ChunkNames.Function);
        _writer.WritePropertyName(ChunkNames.Name);
        _writer.WriteRawValue(AnthropicContentBlock.IsPresent(block.Name) ? data[block.Name] : "\"\""u8, skipInputValidation: true);
        _writer.WriteString(ChunkNames.Arguments, ""u8);
        _writer.WriteEndObject();
        _writer.WriteEndObject();
        _writer.WriteEndArray();
        EndChunk(null);
    }

    private void AddDelta(ReadOnlySpan<byte> data)
    {
        var delta = StreamEventReader.ReadBlockDelta(data);
        if (delta.Text.Length > 2)
        {
            WriteContent(delta.Text);
        }
        else if (delta.PartialJson.Length > 2 && _tools.TryMarkArguments(delta.Index, out var ordinal))
        {
            WriteArguments(ordinal, delta.PartialJson);
        }
    }

    /// <summary>A tool call whose input never got a fragment (a function without parameters) is given <c>{}</c>, as
    /// OpenAI gives it: an empty <c>arguments</c> is not JSON, and clients parse it.</summary>
    private void StopBlock(ReadOnlySpan<byte> data)
    {
        var index = StreamEventReader.ReadBlockIndex(data);
        if (_tools.TryCloseWithoutArguments(index, out var ordinal))
        {
            WriteArguments(ordinal, "\"{}\""u8);
        }
    }

    private void UpdateMessage(ReadOnlySpan<byte> data)
    {
        var stopReason = StreamEventReader.ReadMessageDelta(data, ref _usage);
        if (stopReason.IsEmpty)
        {
            return;
        }
        BeginChunk();
        EndChunk(AnthropicStopReasons.ToFinishReason(stopReason));
    }

    private void StopMessage()
    {
        output.Write(DataPrefix);
        _writer.Reset(output);
        WriteChunkHeader();
        _writer.WriteStartArray(ChunkNames.Choices);
        _writer.WriteEndArray();
        _usage.Write(_writer);
        _writer.WriteEndObject();
        _writer.Flush();
        output.Write(EventEnd);
        output.Write(DoneEvent);
        IsFinished = true;
    }

    /// <summary>An error mid-stream: OpenAI's error object as the last event, and no <c>[DONE]</c>, so the relay and
    /// the client see a stream that did not complete.</summary>
    private void WriteError(ReadOnlySpan<byte> data)
    {
        var error = AnthropicResponseTranslator.ReadStreamError(data);
        output.Write(DataPrefix);
        _writer.Reset(output);
        _writer.WriteStartObject();
        _writer.WriteStartObject("error"u8);
        _writer.WriteString("message"u8, error.Message);
        _writer.WriteString(ChunkNames.Type, error.Type);
        _writer.WriteNull("param"u8);
        _writer.WriteString("code"u8, error.Code);
        _writer.WriteEndObject();
        _writer.WriteEndObject();
        _writer.Flush();
        output.Write(EventEnd);
        IsFinished = true;
    }

    private void WriteContent(ReadOnlySpan<byte> rawText)
    {
        BeginChunk();
        _writer.WritePropertyName(ChunkNames.Content);
        _writer.WriteRawValue(rawText, skipInputValidation: true);
        EndChunk(null);
    }

    private void WriteArguments(int ordinal, ReadOnlySpan<byte> rawFragment)
    {
        BeginChunk();
        _writer.WriteStartArray(ChunkNames.ToolCalls);
        _writer.WriteStartObject();
        _writer.WriteNumber(ChunkNames.Index, ordinal);
        _writer.WriteStartObject(ChunkNames.Function);
        _writer.WritePropertyName(ChunkNames.Arguments);
        _writer.WriteRawValue(rawFragment, skipInputValidation: true);
        _writer.WriteEndObject();
        _writer.WriteEndObject();
        _writer.WriteEndArray();
        EndChunk(null);
    }

    /// <summary>Starts a chunk with one choice, leaving the writer inside its <c>delta</c>.</summary>
    private void BeginChunk()
    {
        output.Write(DataPrefix);
        _writer.Reset(output);
        WriteChunkHeader();
        _writer.WriteStartArray(ChunkNames.Choices);
        _writer.WriteStartObject();
        _writer.WriteNumber(ChunkNames.Index, 0);
        _writer.WriteStartObject(ChunkNames.Delta);
    }

    private void EndChunk(string? finishReason)
    {
        _writer.WriteEndObject();
        _writer.WriteNull(ChunkNames.Logprobs);
        if (finishReason is null)
        {
            _writer.WriteNull(ChunkNames.FinishReason);
        }
        else
        {
            _writer.WriteString(ChunkNames.FinishReason, finishReason);
        }
        _writer.WriteEndObject();
        _writer.WriteEndArray();
        _writer.WriteEndObject();
        _writer.Flush();
        output.Write(EventEnd);
    }

    private void WriteChunkHeader()
    {
        _writer.WriteStartObject();
        _writer.WritePropertyName(ChunkNames.Id);
        _writer.WriteRawValue(_id!, skipInputValidation: true);
        _writer.WriteString(ChunkNames.Object, "chat.completion.chunk"u8);
        _writer.WriteNumber(ChunkNames.Created, created);
        _writer.WritePropertyName(ChunkNames.Model);
        _writer.WriteRawValue(_model!, skipInputValidation: true);
    }
}
