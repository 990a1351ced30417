using System.Globalization;

namespace Parley.Policy.Redaction;

/// <summary>Pseudonyms as the upstream sees them: <c>&lt;&lt;PII_LABEL_n&gt;&gt;</c>, e.g. <c>&lt;&lt;PII_EMAIL_1&gt;&gt;</c>
/// (label: upper-case letters, digits and underscores; n from 1). Distinct enough that a model repeats them verbatim
/// and ordinary text never contains one.</summary>
public static class Placeholders
{
    public const string Prefix = "<<PII_";
    public const string Suffix = ">>";
    public const int MaxLabelLength = 24;

    /// <summary>The longest placeholder: prefix, label, '_', up to 9 digits, suffix.</summary>
    public const int MaxLength = 6 + MaxLabelLength + 1 + 9 + 2;

    public static string Format(string label, int number) => string.Create(CultureInfo.InvariantCulture, $"{Prefix}{label}_{number}{Suffix}");

    public static bool IsValidLabel(string label)
        => label.Length is > 0 and <= MaxLabelLength && char.IsAsciiLetterUpper(label[0]) && label.All(c => char.IsAsciiLetterUpper(c) || char.IsAsciiDigit(c) || c == '_');

    /// <summary>The length of the placeholder at the start of <paramref name="text"/>, or 0.</summary>
    public static int LengthAt(ReadOnlySpan<char> text)
    {
        if (!text.StartsWith(Prefix))
        {
            return 0;
        }
        var limit = Math.Min(text.Length, MaxLength - 1);
        var gt = Prefix.Length;
        while (gt < limit && (char.IsAsciiLetterUpper(text[gt]) || char.IsAsciiDigit(text[gt]) || text[gt] == '_'))
        {
            gt++;
        }
        if (gt + 1 >= text.Length || text[gt] != '>' || text[gt + 1] != '>')
        {
            return 0;
        }
        var body = text[Prefix.Length..gt];
        var underscore = body.LastIndexOf('_');
        if (underscore < 1 || !char.IsAsciiLetterUpper(body[0]))
        {
            return 0;
        }
        var number = body[(underscore + 1)..];
        return number.Length is >= 1 and <= 9 && number[0] != '0' && !number.ContainsAnyExceptInRange('0', '9') ? gt + 2 : 0;
    }

    /// <summary>Whether <paramref name="tail"/> (the end of a text that may continue) could be the start of a placeholder.</summary>
    public static bool IsPrefix(ReadOnlySpan<char> tail)
    {
        if (tail.Length == 0 || tail[0] != '<')
        {
            return false;
        }
        if (tail.Length <= Prefix.Length)
        {
            return Prefix.AsSpan().StartsWith(tail);
        }
        if (!tail.StartsWith(Prefix) || tail.Length >= MaxLength)
        {
            return false;
        }
        var rest = tail[Prefix.Length..];
        for (var i = 0; i < rest.Length; i++)
        {
            var c = rest[i];
            if (c == '>')
            {
                // One '>' may end the tail; a complete placeholder is not a prefix.
                return i == rest.Length - 1;
            }
            if (!char.IsAsciiLetterUpper(c) && !char.IsAsciiDigit(c) && c != '_')
            {
                return false;
            }
        }
        return true;
    }
}
