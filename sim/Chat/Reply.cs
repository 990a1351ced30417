using System.Buffers;
using Parley.Sim.Tokens;

namespace Parley.Sim.Chat;

/// <summary>The simulator's answer to a request: "Echo: &lt;last user message&gt;" followed by filler words, exactly
/// as many tokens as the response length (or max_tokens, if smaller), so tests can predict content and usage.
/// Text and token boundaries live in pooled buffers; dispose to return them.</summary>
internal sealed class Reply : IDisposable
{
    public const string EchoPrefix = "Echo: ";
    public const string FinishStop = "stop";
    public const string FinishLength = "length";

    // Each filler word, with its leading space, is one token under any reasonable tokenizer.
    private static readonly string[] Filler =
    [
        " lorem", " ipsum", " dolor", " sit", " amet", " sed", " do", " tempor",
        " magna", " aliqua", " enim", " ad", " minim", " veniam", " quis", " nostrud",
    ];

    private static readonly int MaxFillerLength = Filler.Max(w => w.Length);

    private char[] _text;
    private int[] _tokenEnds;

    private Reply(char[] text, int length, int[] tokenEnds, int tokenCount, bool cutByMaxTokens)
    {
        _text = text;
        Length = length;
        _tokenEnds = tokenEnds;
        TokenCount = tokenCount;
        FinishReason = cutByMaxTokens ? FinishLength : FinishStop;
    }

    public int Length { get; }

    public int TokenCount { get; }

    /// <summary>"length" when max_tokens cut the answer short, else "stop".</summary>
    public string FinishReason { get; }

    public ReadOnlySpan<char> Text => _text.AsSpan(0, Length);

    /// <summary>The text of tokens [<paramref name="first"/>, <paramref name="first"/> + <paramref name="count"/>).</summary>
    public ReadOnlySpan<char> Tokens(int first, int count)
    {
        var start = first == 0 ? 0 : _tokenEnds[first - 1];
        return _text.AsSpan(start, _tokenEnds[first + count - 1] - start);
    }

    public static Reply Create(ReadOnlySpan<char> lastUserText, int responseTokens, int? maxTokens, ITokenCounter counter)
    {
        var target = maxTokens is { } max && max < responseTokens ? max : responseTokens;
        // "Echo:" alone when there is nothing to echo, so filler does not start with a double space.
        var prefix = lastUserText.IsEmpty ? EchoPrefix.AsSpan().TrimEnd() : EchoPrefix.AsSpan();
        var echoLength = prefix.Length + lastUserText.Length;
        var text = ArrayPool<char>.Shared.Rent(echoLength + (target * MaxFillerLength));
        var ends = ArrayPool<int>.Shared.Rent(target);
        prefix.CopyTo(text);
        lastUserText.CopyTo(text.AsSpan(prefix.Length));

        var length = 0;
        var count = 0;
        while (count < target && length < echoLength)
        {
            length += counter.NextTokenLength(text.AsSpan(length, echoLength - length));
            ends[count++] = length;
        }
        for (var word = 0; count < target; word++)
        {
            var filler = Filler[word % Filler.Length];
            filler.CopyTo(text.AsSpan(length));
            length += filler.Length;
            ends[count++] = length;
        }
        return new Reply(text, length, ends, count, cutByMaxTokens: target < responseTokens);
    }

    public void Dispose()
    {
        if (_text.Length > 0)
        {
            ArrayPool<char>.Shared.Return(_text);
            ArrayPool<int>.Shared.Return(_tokenEnds);
            _text = [];
            _tokenEnds = [];
        }
    }
}
