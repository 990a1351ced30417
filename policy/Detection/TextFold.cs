using System.Runtime.CompilerServices;

namespace Parley.Policy.Detection;

/// <summary>Width folding: the full-width forms of ASCII (U+FF01–U+FF5E) and the ideographic space (U+3000) read as their
/// ASCII counterparts. One UTF-16 unit maps to one, so positions in folded text are positions in the original.</summary>
public static class TextFold
{
    public const char FullWidthFirst = '\uFF01';
    public const char FullWidthLast = '\uFF5E';
    public const char IdeographicSpace = '\u3000';
    private const int FullWidthOffset = 0xFEE0;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static char Fold(char c)
        => c < FullWidthFirst ? (c == IdeographicSpace ? ' ' : c) : c <= FullWidthLast ? (char)(c - FullWidthOffset) : c;

    /// <summary>Whether folding would change anything in <paramref name="text"/>.</summary>
    public static bool NeedsFolding(ReadOnlySpan<char> text)
        => text.IndexOfAnyInRange(FullWidthFirst, FullWidthLast) >= 0 || text.Contains(IdeographicSpace);

    /// <summary>Writes the folded text into <paramref name="destination"/> (at least as long as the text).</summary>
    public static void Fold(ReadOnlySpan<char> text, Span<char> destination)
    {
        for (var i = 0; i < text.Length; i++)
        {
            destination[i] = Fold(text[i]);
        }
    }

    public static string Fold(string text)
    {
        if (!NeedsFolding(text))
        {
            return text;
        }
        return string.Create(text.Length, text, static (span, t) => Fold(t, span));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool IsDigit(char folded) => (uint)(folded - '0') <= 9;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool IsUpper(char folded) => (uint)(folded - 'A') <= 'Z' - 'A';

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool IsLower(char folded) => (uint)(folded - 'a') <= 'z' - 'a';

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool IsAlnum(char folded) => char.IsAsciiLetterOrDigit(folded);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool IsHex(char folded) => char.IsAsciiHexDigit(folded);
}
