namespace Parley.Sim.Tokens;

/// <summary>A cheap stand-in for a BPE tokenizer, close enough to real counts for English text: a word with its
/// leading space is one token per <see cref="MaxLettersPerToken"/> letters, digits go in groups of three (as in
/// cl100k), any other symbol is a token of its own, and a run of whitespace is one token.</summary>
public sealed class ApproximateTokenCounter : ITokenCounter
{
    public const int MaxLettersPerToken = 8;
    public const int MaxDigitsPerToken = 3;

    public static ApproximateTokenCounter Instance { get; } = new();

    public int NextTokenLength(ReadOnlySpan<char> text)
    {
        if (text.IsEmpty)
        {
            throw new ArgumentException("There is no token in empty text.", nameof(text));
        }
        var start = text[0] == ' ' && text.Length > 1 && char.IsLetterOrDigit(text[1]) ? 1 : 0;
        var first = text[start];
        if (char.IsLetter(first))
        {
            return start + RunLength(text[start..], MaxLettersPerToken, char.IsLetter);
        }
        if (char.IsDigit(first))
        {
            return start + RunLength(text[start..], MaxDigitsPerToken, char.IsDigit);
        }
        if (char.IsWhiteSpace(first))
        {
            var run = RunLength(text, int.MaxValue, char.IsWhiteSpace);
            // Like tiktoken, leave a final space to the word that follows it.
            return run > 1 && run < text.Length && text[run - 1] == ' ' && char.IsLetterOrDigit(text[run]) ? run - 1 : run;
        }
        return char.IsHighSurrogate(first) && text.Length > 1 && char.IsLowSurrogate(text[1]) ? 2 : 1;
    }

    public int CountTokens(ReadOnlySpan<char> text)
    {
        var count = 0;
        while (!text.IsEmpty)
        {
            text = text[NextTokenLength(text)..];
            count++;
        }
        return count;
    }

    private static int RunLength(ReadOnlySpan<char> text, int max, Func<char, bool> belongs)
    {
        var length = 1;
        while (length < text.Length && length < max && belongs(text[length]))
        {
            length++;
        }
        return length;
    }
}
