using Parley.Silo.Chat;

namespace Parley.Silo.Providers.Anthropic;

/// <summary>A read-only stream over an Anthropic SSE response body that reads as the OpenAI chat completion stream
/// the relay expects: <c>data: {chunk}\n\n</c> events, then <c>data: [DONE]\n\n</c> after <c>message_stop</c>.</summary>
/// <remarks>
/// <para>Each Anthropic event is translated as soon as its terminating blank line has arrived, and its chunks are
/// handed out before anything more is read, so nothing is held but one partial event and the chunks not yet read.
/// Events may be split across reads at any byte, with <c>\n</c> or <c>\r\n</c> line ends.</para>
/// <para>Events → chunks: <c>message_start</c> → the first chunk, <c>{role:"assistant",content:""}</c> (its id
/// <c>"chatcmpl-" + message id</c>, the model and <c>created</c> are repeated in every chunk); <c>text_delta</c> →
/// <c>{content}</c>; a <c>tool_use</c> block's start → <c>{tool_calls:[{index,id,type:"function",function:{name,
/// arguments:""}}]}</c>, where <c>index</c> counts tool calls only; <c>input_json_delta</c> → <c>{tool_calls:[{index,
/// function:{arguments}}]}</c> (a tool block that ends without any fragment gets <c>"{}"</c>); <c>message_delta</c>
/// → <c>{}</c> with the mapped <c>finish_reason</c>; <c>message_stop</c> → the usage chunk (<c>choices:[]</c>, input
/// tokens from <c>message_start</c>, output tokens from the last <c>message_delta</c>) and <c>[DONE]</c>;
/// <c>ping</c>, <c>content_block_stop</c>, thinking, signature and citation deltas, and unknown events → nothing;
/// <c>error</c> → <c>data: {"error":{message,type,param,code}}</c> in OpenAI's vocabulary, then the end, without
/// <c>[DONE]</c>.</para>
/// <para>If the upstream body ends before <c>message_stop</c>, this stream ends too, without <c>[DONE]</c>, so the
/// relay sees the cut; an <see cref="IOException"/> from the upstream body propagates.</para>
/// </remarks>
internal sealed class AnthropicStreamTranslator : ReadOnlyStream
{
    private const int ReadBytes = 4096;
    private const int InitialOutputBytes = 4096;
    // Anthropic's events are small (a delta is a few tokens); one larger than this is not a stream we can relay.
    private const int MaxEventBytes = 8 * 1024 * 1024;

    private readonly Stream _upstream;
    private readonly PooledByteQueue _input = new(ReadBytes * 2);
    private readonly PooledByteQueue _output = new(InitialOutputBytes);
    private readonly PooledByteQueue _joinedData = new(256);
    private readonly AnthropicEventTranslator _events;
    // Within the unread input: where the current line starts, and how far a line end has been searched for.
    private int _lineStart;
    private int _searched;
    private bool _upstreamEnded;
    private bool _disposed;

    /// <param name="upstreamBody">Anthropic's SSE body; disposed with this stream.</param>
    /// <param name="created">The Unix time in seconds every chunk carries (Anthropic gives none).</param>
    public AnthropicStreamTranslator(Stream upstreamBody, long created)
    {
        _upstream = upstreamBody;
        _events = new AnthropicEventTranslator(_output, created);
    }


    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (buffer.IsEmpty)
        {
            return 0;
        }
        while (true)
        {
            if (_output.Length > 0)
            {
                var count = Math.Min(buffer.Length, _output.Length);
                _output.Readable[..count].CopyTo(buffer.Span);
                _output.Consume(count);
                return count;
            }
            if (_events.IsFinished || _upstreamEnded)
            {
                return 0;
            }
            if (_input.Length >= MaxEventBytes)
            {
                throw new IOException($"The Anthropic stream sent an event larger than {MaxEventBytes} bytes.");
            }
            var read = await _upstream.ReadAsync(_input.GetMemory(ReadBytes), cancellationToken).ConfigureAwait(false);
            if (read == 0)
            {
                _upstreamEnded = true;
                TranslateUnterminatedEvent();
                continue;
            }
            _input.Advance(read);
            TranslateCompleteEvents();
        }
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing && !_disposed)
        {
            _disposed = true;
            _upstream.Dispose();
            ReturnBuffers();
        }
        base.Dispose(disposing);
    }

    public override async ValueTask DisposeAsync()
    {
        if (!_disposed)
        {
            _disposed = true;
            await _upstream.DisposeAsync().ConfigureAwait(false);
            ReturnBuffers();
        }
        await base.DisposeAsync().ConfigureAwait(false);
    }

    private void ReturnBuffers()
    {
        _input.Dispose();
        _output.Dispose();
        _joinedData.Dispose();
    }

    /// <summary>Translates every event whose blank line has arrived and drops it from the input; blank lines between
    /// events are skipped.</summary>
    private void TranslateCompleteEvents()
    {
        while (!_events.IsFinished)
        {
            var pending = _input.Readable;
            var newline = pending[_searched..].IndexOf((byte)'\n');
            if (newline < 0)
            {
                _searched = pending.Length;
                return;
            }
            newline += _searched;
            var line = pending[_lineStart..newline];
            if (!line.IsEmpty && line[^1] == (byte)'\r')
            {
                line = line[..^1];
            }
            if (!line.IsEmpty)
            {
                _lineStart = _searched = newline + 1;
                continue;
            }
            if (_lineStart > 0)
            {
                TranslateEvent(pending[.._lineStart]);
            }
            _input.Consume(newline + 1);
            _lineStart = _searched = 0;
        }
    }

    /// <summary>At the end of the body, a last event without its blank line still counts (if its JSON is whole).</summary>
    private void TranslateUnterminatedEvent()
    {
        if (!_events.IsFinished && _input.Length > 0)
        {
            TranslateEvent(_input.Readable);
        }
        _input.Consume(_input.Length);
    }

    /// <summary>Finds the event's name and data (several <c>data:</c> lines are joined with newlines, as SSE says;
    /// Anthropic sends one) and translates it. Comments and other fields are ignored.</summary>
    private void TranslateEvent(ReadOnlySpan<byte> sseEvent)
    {
        ReadOnlySpan<byte> name = default, data = default;
        var dataLines = 0;
        while (!sseEvent.IsEmpty)
        {
            var end = sseEvent.IndexOf((byte)'\n');
            var line = end < 0 ? sseEvent : sseEvent[..end];
            sseEvent = end < 0 ? default : sseEvent[(end + 1)..];
            if (!line.IsEmpty && line[^1] == (byte)'\r')
            {
                line = line[..^1];
            }
            if (SseField(line, "event"u8, out var value))
            {
                name = value;
            }
            else if (SseField(line, "data"u8, out value))
            {
                if (dataLines == 1)
                {
                    _joinedData.Consume(_joinedData.Length);
                    _joinedData.Write(data);
                }
                if (dataLines >= 1)
                {
                    _joinedData.Write("\n"u8);
                    _joinedData.Write(value);
                }
                data = value;
                dataLines++;
            }
        }
        if (dataLines > 0)
        {
            _events.Translate(name, dataLines == 1 ? data : _joinedData.Readable);
        }
    }

    /// <summary>Whether the line is the field <paramref name="field"/>; its value loses one leading space.</summary>
    private static bool SseField(ReadOnlySpan<byte> line, ReadOnlySpan<byte> field, out ReadOnlySpan<byte> value)
    {
        value = default;
        if (line.Length <= field.Length || !line.StartsWith(field) || line[field.Length] != (byte)':')
        {
            return false;
        }
        value = line[(field.Length + 1)..];
        if (!value.IsEmpty && value[0] == (byte)' ')
        {
            value = value[1..];
        }
        return true;
    }
}
