using System.Runtime.CompilerServices;

namespace Parley.Tokenizer;

/// <summary>
/// Splits text into the pieces that the encoding's split pattern matches, one piece at a time. Hand-written
/// instead of a Regex because .NET's regex works on UTF-16 units (a surrogate pair is not \p{L} there) while the
/// reference engine works on code points, and because this is the hot path.
/// </summary>
internal abstract class PreTokenizer
{
    /// <summary>End (exclusive) of the piece that starts at <paramref name="start"/>; always greater than start
    /// because every code point is matched by some alternative of both patterns.</summary>
    public abstract int NextPieceEnd(ReadOnlySpan<char> text, int start);

    /// <summary>Length of <c>(?i:'s|'t|'re|'ve|'m|'ll|'d)</c> at <paramref name="index"/>, or 0.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    protected static int Contraction(ReadOnlySpan<char> text, int index)
    {
        if (index + 1 >= text.Length || text[index] != '\'')
        {
            return 0;
        }

        // (?i) uses simple case folding, under which U+017F (long s) folds to 's'.
        switch (text[index + 1])
        {
            case 's' or 'S' or '\u017F' or 't' or 'T' or 'm' or 'M' or 'd' or 'D':
                return 2;
            case 'r' or 'R':
                return Next(text, index + 2) is 'e' or 'E' ? 3 : 0;
            case 'v' or 'V':
                return Next(text, index + 2) is 'e' or 'E' ? 3 : 0;
            case 'l' or 'L':
                return Next(text, index + 2) is 'l' or 'L' ? 3 : 0;
            default:
                return 0;
        }
    }

    /// <summary><c>\p{N}{1,3}</c> at a position known to hold a number.</summary>
    protected static int Digits(ReadOnlySpan<char> text, int start, int firstWidth)
    {
        var end = start + firstWidth;
        for (var count = 1; count < 3 && end < text.Length; count++)
        {
            if ((CharClass.At(text, end, out var width) & CharClass.Number) == 0)
            {
                break;
            }

            end += width;
        }

        return end;
    }

    /// <summary>
    /// <c> ?[^\s\p{L}\p{N}]+[tail]*</c> where the tail characters are \r, \n and (when
    /// <paramref name="slashInTail"/>) '/'; -1 if it does not match.
    /// </summary>
    protected static int Punctuation(ReadOnlySpan<char> text, int start, int firstFlags, int firstWidth, bool slashInTail)
    {
        int runStart;
        if (IsPunctuation(firstFlags))
        {
            runStart = start + firstWidth;
        }
        else if (text[start] == ' ' && start + 1 < text.Length
            && IsPunctuation(CharClass.At(text, start + 1, out var secondWidth)))
        {
            runStart = start + 1 + secondWidth;
        }
        else
        {
            return -1;
        }

        var end = runStart;
        while (end < text.Length && IsPunctuation(CharClass.At(text, end, out var width)))
        {
            end += width;
        }

        while (end < text.Length && (text[end] is '\r' or '\n' || (slashInTail && text[end] == '/')))
        {
            end++;
        }

        return end;
    }

    /// <summary>
    /// The three whitespace alternatives, in order: <c>\s*[\r\n]+</c>, <c>\s+(?!\S)</c>, <c>\s+</c>, at a position
    /// known to hold whitespace. Whitespace is all in the BMP, so stepping back one unit is one code point.
    /// </summary>
    protected static int Whitespace(ReadOnlySpan<char> text, int start)
    {
        var runEnd = CharClass.SkipWhile(text, start, CharClass.Space);

        // \s*[\r\n]+ : the greedy \s* gives back until the rest starts at a line break, so the match ends just
        // after the last line break of the run.
        for (var i = runEnd - 1; i >= start; i--)
        {
            if (text[i] is '\r' or '\n')
            {
                return i + 1;
            }
        }

        // \s+(?!\S) : the whole run at the end of the text, else the run minus its last character (which then
        // prefixes the next word), unless that would leave nothing.
        if (runEnd == text.Length)
        {
            return runEnd;
        }

        return runEnd - 1 > start ? runEnd - 1 : runEnd;
    }

    /// <summary>[^\r\n\p{L}\p{N}]: the optional one-character prefix of a word.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    protected static bool IsWordPrefix(int flags) =>
        (flags & (CharClass.LineBreak | CharClass.Letter | CharClass.Number)) == 0;

    /// <summary>[^\s\p{L}\p{N}].</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool IsPunctuation(int flags) =>
        (flags & (CharClass.Space | CharClass.Letter | CharClass.Number)) == 0;

    private static char Next(ReadOnlySpan<char> text, int index) => index < text.Length ? text[index] : '\0';
}
