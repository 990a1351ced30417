namespace Parley.Tokenizer;

/// <summary>
/// o200k_base's split pattern (see <see cref="Pattern"/>): words split at case changes, contractions attached to
/// the word, digits in groups of up to three, punctuation runs, whitespace, with leftmost-first alternation as the
/// reference backtracking engine evaluates it.
/// </summary>
internal sealed class O200kPreTokenizer : PreTokenizer
{
    public const string Pattern =
        @"[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?"
        + @"|[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?"
        + @"|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+";

    public static readonly O200kPreTokenizer Instance = new();

    public override int NextPieceEnd(ReadOnlySpan<char> text, int start)
    {
        var flags = CharClass.At(text, start, out var width);
        var canPrefix = IsWordPrefix(flags) && start + width < text.Length;

        // The alternation tries the first word form with, then without, the optional prefix before the second.
        var end = canPrefix ? UpperThenLower(text, start + width) : -1;
        if (end < 0)
        {
            end = UpperThenLower(text, start);
        }

        if (end < 0 && canPrefix)
        {
            end = UpperRunThenLower(text, start + width);
        }

        if (end < 0)
        {
            end = UpperRunThenLower(text, start);
        }

        if (end >= 0)
        {
            return end + Contraction(text, end);
        }

        if ((flags & CharClass.Number) != 0)
        {
            return Digits(text, start, width);
        }

        var punctuationEnd = Punctuation(text, start, flags, width, slashInTail: true);
        return punctuationEnd >= 0 ? punctuationEnd : Whitespace(text, start);
    }

    /// <summary><c>[upper]*[lower]+</c> from <paramref name="start"/>, or -1.</summary>
    private static int UpperThenLower(ReadOnlySpan<char> text, int start)
    {
        // Greedy [upper]* over the run, remembering the last code point that is also [lower] (Lm, Lo, marks):
        // that is where backtracking would let [lower]+ match if nothing [lower] follows the run.
        var position = start;
        var lastLowerEnd = -1;
        while (position < text.Length)
        {
            var flags = CharClass.At(text, position, out var width);
            if ((flags & CharClass.Upper) == 0)
            {
                if ((flags & CharClass.Lower) != 0)
                {
                    return CharClass.SkipWhile(text, position + width, CharClass.Lower);
                }

                break;
            }

            position += width;
            if ((flags & CharClass.Lower) != 0)
            {
                lastLowerEnd = position;
            }
        }

        // Here the run is followed by something not [lower]; [lower]+ takes exactly the last [lower] in the run
        // (everything after it in the run is Lu/Lt, which [lower] does not match).
        return lastLowerEnd;
    }

    /// <summary><c>[upper]+[lower]*</c> from <paramref name="start"/>, or -1.</summary>
    private static int UpperRunThenLower(ReadOnlySpan<char> text, int start)
    {
        var upperEnd = CharClass.SkipWhile(text, start, CharClass.Upper);
        return upperEnd == start ? -1 : CharClass.SkipWhile(text, upperEnd, CharClass.Lower);
    }
}
