using System.Buffers;
using System.Text;
using System.Text.Json;
using Parley.Sim.Tokens;

namespace Parley.Sim.Anthropic;

/// <summary>What the simulator answers a Messages request with.</summary>
internal enum AnswerKind
{
    /// <summary>"Echo: &lt;last user text&gt;" and filler.</summary>
    Echo,

    /// <summary>"Tool result: &lt;the tool_result text&gt;" and filler: the last user message carried tool results.</summary>
    ToolResult,

    /// <summary>A short text block and one tool_use block.</summary>
    ToolCall,
}

internal enum ToolChoiceKind { Auto, Any, None, Tool }

/// <summary>A tool the request offers: its name, and where its input_schema sits in the body.</summary>
internal readonly record struct ToolSpec(string Name, long SchemaStart, long SchemaLength);

/// <summary>What the simulator needs from a Messages request. Texts live in pooled buffers, and the pieces whose
/// tokens make input_tokens are kept as ranges of the body and counted once the model (and so the encoding) is
/// known; dispose to return the buffers.</summary>
internal sealed class MessagesRequest : IDisposable
{
    private PooledText _lastUserText;
    private PooledText _lastToolResults;
    private PooledText _messageText;
    private PooledText _messageToolResults;
    private CountedPiece[] _pieces = [];
    private int _pieceCount;
    private List<string>? _stopSequences;
    private List<ToolSpec>? _tools;

    /// <summary>The API version removed temperature, top_p and top_k (2026-10-21).</summary>
    public bool SamplingRemoved { get; set; }

    public string? Model { get; set; }
    public bool ModelKnown { get; set; }
    public int? MaxTokens { get; set; }
    public bool Stream { get; set; }
    public ToolChoiceKind ToolChoice { get; set; }
    public bool HasToolChoice { get; set; }
    public string? ToolChoiceName { get; set; }

    /// <summary>Images in the system prompt, messages and tool results (each costs a fixed number of tokens).</summary>
    public int Images { get; set; }

    public int InputTokens { get; set; }
    public SimEncoding? TokenEncoding { get; set; }
    public AnswerKind Answer { get; set; }

    /// <summary>For <see cref="AnswerKind.ToolCall"/>: the tool called and its input as compact JSON.</summary>
    public string? ToolName { get; set; }
    public string? ToolInputJson { get; set; }

    /// <summary>tool_use ids of the assistant messages read so far.</summary>
    public HashSet<string>? ToolUseIds { get; set; }

    public IReadOnlyList<string> StopSequences => (IReadOnlyList<string>?)_stopSequences ?? [];

    public IReadOnlyList<ToolSpec> Tools => (IReadOnlyList<ToolSpec>?)_tools ?? [];

    /// <summary>Text blocks of the last user message, one per line.</summary>
    public ReadOnlySpan<char> LastUserText => _lastUserText.Span;

    /// <summary>Text of the last user message's tool_result blocks, one per line.</summary>
    public ReadOnlySpan<char> LastToolResultText => _lastToolResults.Span;

    public bool LastUserHasToolResult { get; private set; }

    public bool MessageHasToolResult { get; set; }

    public void AddStopSequence(string value) => (_stopSequences ??= []).Add(value);

    public void AddTool(ToolSpec tool) => (_tools ??= []).Add(tool);

    public void BeginMessage()
    {
        _messageText.Clear();
        _messageToolResults.Clear();
        MessageHasToolResult = false;
    }

    public void AppendMessageText(ref Utf8JsonReader reader) => _messageText.AppendLine(ref reader);

    public void AppendToolResultText(ref Utf8JsonReader reader) => _messageToolResults.AppendLine(ref reader);

    /// <summary>The message just read was the user's: it is the last user message so far.</summary>
    public void KeepMessageAsLastUser()
    {
        (_lastUserText, _messageText) = (_messageText, _lastUserText);
        (_lastToolResults, _messageToolResults) = (_messageToolResults, _lastToolResults);
        LastUserHasToolResult = MessageHasToolResult;
    }

    /// <summary>Counts the reader's current string token (a text the model reads) into input_tokens.</summary>
    public void CountString(ref Utf8JsonReader reader) => AddPiece(reader.TokenStartIndex, reader.BytesConsumed, raw: false);

    /// <summary>Counts a JSON value, as its raw text from <paramref name="start"/> to the reader's position (a tool's
    /// input or input_schema), into input_tokens.</summary>
    public void CountRaw(long start, ref Utf8JsonReader reader) => AddPiece(start, reader.BytesConsumed, raw: true);

    /// <summary>input_tokens: every counted piece under <paramref name="encoding"/>, plus
    /// <paramref name="tokensPerImage"/> per image.</summary>
    public int CountInputTokens(in ReadOnlySequence<byte> body, SimEncoding encoding, int tokensPerImage)
    {
        var total = (long)Images * tokensPerImage;
        char[] scratch = [];
        try
        {
            for (var i = 0; i < _pieceCount; i++)
            {
                var piece = _pieces[i];
                var bytes = body.Slice(piece.Start, piece.Length);
                // Never more UTF-16 chars than UTF-8 bytes.
                if (scratch.Length < piece.Length)
                {
                    if (scratch.Length > 0)
                    {
                        ArrayPool<char>.Shared.Return(scratch);
                    }
                    scratch = ArrayPool<char>.Shared.Rent(checked((int)piece.Length));
                }
                int chars;
                if (piece.Raw)
                {
                    chars = Encoding.UTF8.GetChars(bytes, scratch);
                }
                else
                {
                    var reader = new Utf8JsonReader(bytes);
                    reader.Read();
                    chars = reader.CopyString(scratch);
                }
                total += encoding.Encoding.CountTokens(scratch.AsSpan(0, chars));
            }
        }
        finally
        {
            if (scratch.Length > 0)
            {
                ArrayPool<char>.Shared.Return(scratch);
            }
        }
        return (int)Math.Min(total, int.MaxValue);
    }

    public void Dispose()
    {
        _lastUserText.Return();
        _lastToolResults.Return();
        _messageText.Return();
        _messageToolResults.Return();
        if (_pieces.Length > 0)
        {
            ArrayPool<CountedPiece>.Shared.Return(_pieces);
            _pieces = [];
        }
    }

    private void AddPiece(long start, long end, bool raw)
    {
        if (_pieceCount == _pieces.Length)
        {
            var bigger = ArrayPool<CountedPiece>.Shared.Rent(Math.Max(16, _pieces.Length * 2));
            _pieces.AsSpan(0, _pieceCount).CopyTo(bigger);
            if (_pieces.Length > 0)
            {
                ArrayPool<CountedPiece>.Shared.Return(_pieces);
            }
            _pieces = bigger;
        }
        _pieces[_pieceCount++] = new CountedPiece(start, end - start, raw);
    }

    private readonly record struct CountedPiece(long Start, long Length, bool Raw);
}
