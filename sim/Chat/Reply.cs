using System.Buffers;
using Parley.Sim.Tokens;

namespace Parley.Sim.Chat;

/// <summary>The simulator's answer to a request: "Echo: &lt;last user message&gt;" followed by filler words, exactly
/// as many real tokens (of the model's encoding) as the response length (or max_tokens, if smaller), so tests can
/// predict content and usage. Text and token boundaries live in pooled buffers; dispose to return them.</summary>
internal sealed class Reply : IDisposable
{
    public const string EchoPrefix = "Echo: ";
    public const string FinishStop = "stop";
    public const string FinishLength = "length";

    // Each filler word, with its leading space, is one token under both o200k_base and cl100k_base and stays one
    // token after any text (a leading space always starts a new pre-token piece); the tests check both.
    internal static readonly string[] Filler =
    [
        " lorem", " ipsum", " dolor", " sit", " amet", " sed", " do", " tempor",
        " magna", " aliqua", " enim", " ad", " minim", " veniam", " quis", " labore",
    ];

    private static readonly int MaxFillerLength = Filler.Max(w => w.Length);

    private char[] _text;
    private int[] _tokenEnds;

    private Reply(char[] text, int length, int[] tokenEnds, int tokenCount, int completionTokens, bool cutByMaxTokens)
    {
        _text = text;
        Length = length;
        _tokenEnds = tokenEnds;
        TokenCount = tokenCount;
        CompletionTokens = completionTokens;
        CutByMaxTokens = cutByMaxTokens;
    }

    public int Length { get; private set; }

    /// <summary>Tokens generated, one streamed unit each.</summary>
    public int TokenCount { get; private set; }

    /// <summary>usage.completion_tokens: the encoded length of <see cref="Text"/> (equal to <see cref="TokenCount"/>
    /// unless re-encoding the cut text merges differently).</summary>
    public int CompletionTokens { get; private set; }

    /// <summary>Whether max_tokens cut the answer short of the response length.</summary>
    public bool CutByMaxTokens { get; private set; }

    /// <summary>"length" when max_tokens cut the answer short, else "stop".</summary>
    public string FinishReason => CutByMaxTokens ? FinishLength : FinishStop;

    public ReadOnlySpan<char> Text => _text.AsSpan(0, Length);

    /// <summary>The text of tokens [<paramref name="first"/>, <paramref name="first"/> + <paramref name="count"/>).</summary>
    public ReadOnlySpan<char> Tokens(int first, int count)
    {
        var start = first == 0 ? 0 : _tokenEnds[first - 1];
        return _text.AsSpan(start, _tokenEnds[first + count - 1] - start);
    }

    /// <summary>"Echo: &lt;last user text&gt;" and filler, <paramref name="responseTokens"/> tokens long or cut
    /// at <paramref name="maxTokens"/>.</summary>
    public static Reply Create(ReadOnlySpan<char> lastUserText, int responseTokens, int? maxTokens, SimEncoding encoding)
        => Create(EchoPrefix, lastUserText, responseTokens, maxTokens, encoding);

    /// <summary><paramref name="prefix"/> and <paramref name="quoted"/>, then filler, <paramref name="responseTokens"/>
    /// tokens long or cut at <paramref name="maxTokens"/>.</summary>
    public static Reply Create(ReadOnlySpan<char> prefix, ReadOnlySpan<char> quoted, int responseTokens, int? maxTokens, SimEncoding encoding)
    {
        var target = maxTokens is { } max && max < responseTokens ? max : responseTokens;
        // "Echo:" alone when there is nothing to echo, so filler does not start with a double space.
        if (quoted.IsEmpty)
        {
            prefix = prefix.TrimEnd();
        }
        var echoLength = prefix.Length + quoted.Length;
        var text = ArrayPool<char>.Shared.Rent(echoLength + (target * MaxFillerLength));
        var ends = ArrayPool<int>.Shared.Rent(target);
        prefix.CopyTo(text);
        quoted.CopyTo(text.AsSpan(prefix.Length));

        var count = EchoTokens(text.AsSpan(0, echoLength), target, encoding, ends);
        var length = count == 0 ? 0 : ends[count - 1];
        for (var word = 0; count < target; word++)
        {
            var filler = Filler[word % Filler.Length];
            filler.CopyTo(text.AsSpan(length));
            length += filler.Length;
            ends[count++] = length;
        }
        var completionTokens = encoding.Encoding.CountTokens(text.AsSpan(0, length));
        return new Reply(text, length, ends, count, completionTokens, cutByMaxTokens: target < responseTokens);
    }

    /// <summary>Exactly <paramref name="text"/>, all of its tokens, no filler.</summary>
    public static Reply Whole(ReadOnlySpan<char> text, SimEncoding encoding)
    {
        var buffer = ArrayPool<char>.Shared.Rent(Math.Max(1, text.Length));
        // A token holds at least one UTF-8 byte.
        var ends = ArrayPool<int>.Shared.Rent(Math.Max(1, System.Text.Encoding.UTF8.GetByteCount(text)));
        text.CopyTo(buffer);
        var count = EchoTokens(buffer.AsSpan(0, text.Length), int.MaxValue, encoding, ends);
        var length = count == 0 ? 0 : ends[count - 1];
        return new Reply(buffer, length, ends, count, encoding.Encoding.CountTokens(buffer.AsSpan(0, length)), cutByMaxTokens: false);
    }

    /// <summary>Ends the answer just before char <paramref name="length"/> (where a stop sequence starts): the
    /// token that spans it is shortened, later ones dropped, and <see cref="CompletionTokens"/> recounted. The
    /// answer then counts as stopped, not cut by max_tokens.</summary>
    public void TruncateAt(int length, SimEncoding encoding)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(length, Length);
        var count = 0;
        // Token i starts where token i - 1 ends; keep every token that starts before the cut.
        while (count < TokenCount && (count == 0 ? 0 : _tokenEnds[count - 1]) < length)
        {
            count++;
        }
        if (count > 0)
        {
            _tokenEnds[count - 1] = length;
        }
        Length = length;
        TokenCount = count;
        CompletionTokens = encoding.Encoding.CountTokens(Text);
        CutByMaxTokens = false;
    }

    // Encodes the echo and records where each of its first (at most) target tokens ends, in chars. A token that
    // ends inside a character (a multi-byte UTF-8 sequence split between tokens) ends before that character, which
    // then travels with the next token. Returns how many tokens were taken.
    private static int EchoTokens(ReadOnlySpan<char> echo, int target, SimEncoding encoding, int[] ends)
    {
        // A token holds at least one UTF-8 byte.
        var ids = ArrayPool<int>.Shared.Rent(Math.Max(1, System.Text.Encoding.UTF8.GetByteCount(echo)));
        try
        {
            encoding.Encoding.TryEncode(echo, ids, out var written);
            var taken = Math.Min(written, target);
            var tokenEndByte = 0;
            var charEnd = 0;
            var charEndByte = 0;
            for (var i = 0; i < taken; i++)
            {
                tokenEndByte += encoding.ByteLength(ids[i]);
                while (charEnd < echo.Length)
                {
                    var width = Utf8Width(echo, charEnd, out var chars);
                    if (charEndByte + width > tokenEndByte)
                    {
                        break;
                    }
                    charEndByte += width;
                    charEnd += chars;
                }
                ends[i] = charEnd;
            }
            return taken;
        }
        finally
        {
            ArrayPool<int>.Shared.Return(ids);
        }
    }

    // UTF-8 bytes of the character at index (a lone surrogate is encoded as U+FFFD, as the tokenizer does).
    private static int Utf8Width(ReadOnlySpan<char> text, int index, out int chars)
    {
        var c = text[index];
        chars = 1;
        if (c < 0x80)
        {
            return 1;
        }
        if (c < 0x800)
        {
            return 2;
        }
        if (char.IsHighSurrogate(c) && index + 1 < text.Length && char.IsLowSurrogate(text[index + 1]))
        {
            chars = 2;
            return 4;
        }
        return 3;
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
