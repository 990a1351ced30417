using System.Text;
using Parley.Policy.Detection;
using Parley.Policy.Rules;

namespace Parley.Policy.Redaction;

/// <summary>What a masked value becomes.</summary>
public static class Masking
{
    public static string Mask(ReadOnlySpan<char> value, PolicyRule rule)
    {
        if (rule.MaskStyle == MaskStyle.Label)
        {
            return "[" + rule.Label + "]";
        }
        var builder = new StringBuilder(value.Length);
        AppendPartial(builder, value, rule);
        return builder.ToString();
    }

    /// <summary>Letters and digits starred out but the first KeepStart and last KeepEnd; an e-mail keeps its domain and
    /// the first KeepStart characters of its local part (at least one).</summary>
    public static void AppendPartial(StringBuilder output, ReadOnlySpan<char> value, PolicyRule rule)
    {
        if (rule.Detector == DetectorKind.Email && value.IndexOfAny('@', '＠') is var at and > 0)
        {
            var keep = Math.Clamp(rule.KeepStart, 1, at);
            output.Append(value[..keep]).Append('*', at - keep).Append(value[at..]);
            return;
        }
        var total = 0;
        foreach (var c in value)
        {
            total += TextFold.IsAlnum(TextFold.Fold(c)) ? 1 : 0;
        }
        var seen = 0;
        foreach (var c in value)
        {
            if (!TextFold.IsAlnum(TextFold.Fold(c)))
            {
                output.Append(c);
                continue;
            }
            output.Append(seen < rule.KeepStart || seen >= total - rule.KeepEnd ? c : '*');
            seen++;
        }
    }
}
