using System.Globalization;
using System.Runtime.CompilerServices;

namespace Parley.Tokenizer;

/// <summary>
/// Unicode classes used by the encodings' split patterns, looked up per code point (not per UTF-16 unit):
/// the reference regex engine works on code points, so a letter outside the BMP must count as a letter.
/// </summary>
internal static class CharClass
{
    /// <summary>\p{L}: Lu, Ll, Lt, Lm, Lo.</summary>
    public const byte Letter = 1;

    /// <summary>\p{N}: Nd, Nl, No.</summary>
    public const byte Number = 2;

    /// <summary>\s: the Unicode White_Space property (what the reference engine's \s means).</summary>
    public const byte Space = 4;

    /// <summary>[\r\n].</summary>
    public const byte LineBreak = 8;

    /// <summary>o200k's "upper" class: Lu, Lt, Lm, Lo, M.</summary>
    public const byte Upper = 16;

    /// <summary>o200k's "lower" class: Ll, Lm, Lo, M.</summary>
    public const byte Lower = 32;

    private const char ReplacementChar = '\uFFFD';

    // One byte per BMP code point: 64 KB, built once, so the splitter never calls into the globalization tables
    // on the hot path.
    private static readonly byte[] Bmp = BuildBmpTable();

    /// <summary>Classifies the code point at <paramref name="index"/>; a lone surrogate counts as U+FFFD,
    /// which is what it becomes when the text is encoded to UTF-8.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int At(ReadOnlySpan<char> text, int index, out int width)
    {
        var c = text[index];
        if (!char.IsSurrogate(c))
        {
            width = 1;
            return Bmp[c];
        }

        width = 1;
        if (char.IsHighSurrogate(c) && index + 1 < text.Length && char.IsLowSurrogate(text[index + 1]))
        {
            width = 2;
            return FromCategory(CharUnicodeInfo.GetUnicodeCategory(char.ConvertToUtf32(c, text[index + 1])), -1);
        }

        return Bmp[ReplacementChar];
    }

    /// <summary>Index just past the run of code points from <paramref name="index"/> that have any bit of
    /// <paramref name="mask"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int SkipWhile(ReadOnlySpan<char> text, int index, int mask)
    {
        while (index < text.Length && (At(text, index, out var width) & mask) != 0)
        {
            index += width;
        }

        return index;
    }

    private static byte[] BuildBmpTable()
    {
        var table = new byte[char.MaxValue + 1];
        for (var c = 0; c <= char.MaxValue; c++)
        {
            table[c] = FromCategory(CharUnicodeInfo.GetUnicodeCategory((char)c), c);
        }

        return table;
    }

    private static byte FromCategory(UnicodeCategory category, int codePoint)
    {
        byte flags = category switch
        {
            UnicodeCategory.UppercaseLetter or UnicodeCategory.TitlecaseLetter => Letter | Upper,
            UnicodeCategory.LowercaseLetter => Letter | Lower,
            UnicodeCategory.ModifierLetter or UnicodeCategory.OtherLetter => Letter | Upper | Lower,
            UnicodeCategory.NonSpacingMark or UnicodeCategory.SpacingCombiningMark or UnicodeCategory.EnclosingMark
                => Upper | Lower,
            UnicodeCategory.DecimalDigitNumber or UnicodeCategory.LetterNumber or UnicodeCategory.OtherNumber => Number,
            _ => 0,
        };

        if (IsWhiteSpace(codePoint))
        {
            flags |= Space;
        }

        if (codePoint is '\r' or '\n')
        {
            flags |= LineBreak;
        }

        return flags;
    }

    // Unicode White_Space (PropList.txt); no code point above the BMP has it, and U+001C..U+001F do not
    // (unlike char.IsWhiteSpace's older behaviour in some runtimes).
    private static bool IsWhiteSpace(int c) => c is (>= 0x09 and <= 0x0D) or 0x20 or 0x85 or 0xA0 or 0x1680
        or (>= 0x2000 and <= 0x200A) or 0x2028 or 0x2029 or 0x202F or 0x205F or 0x3000;
}
