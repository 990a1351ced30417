namespace Parley.Tokenizer;

/// <summary>
/// cl100k_base's split pattern:
/// <c>(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+</c>
/// with leftmost-first alternation, as the reference backtracking engine evaluates it.
/// </summary>
internal sealed class Cl100kPreTokenizer : PreTokenizer
{
    public const string Pattern =
        @"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";

    public static readonly Cl100kPreTokenizer Instance = new();

    public override int NextPieceEnd(ReadOnlySpan<char> text, int start)
    {
        var contraction = Contraction(text, start);
        if (contraction > 0)
        {
            return start + contraction;
        }

        var flags = CharClass.At(text, start, out var width);
        if ((flags & CharClass.Letter) != 0)
        {
            return CharClass.SkipWhile(text, start + width, CharClass.Letter);
        }

        if (IsWordPrefix(flags) && start + width < text.Length
            && (CharClass.At(text, start + width, out var nextWidth) & CharClass.Letter) != 0)
        {
            return CharClass.SkipWhile(text, start + width + nextWidth, CharClass.Letter);
        }

        if ((flags & CharClass.Number) != 0)
        {
            return Digits(text, start, width);
        }

        var punctuationEnd = Punctuation(text, start, flags, width, slashInTail: false);
        return punctuationEnd >= 0 ? punctuationEnd : Whitespace(text, start);
    }
}
