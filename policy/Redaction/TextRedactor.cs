using System.Text;
using Parley.Policy.Rules;

namespace Parley.Policy.Redaction;

/// <summary>Rewrites a text on the way up: masked values become their mask, pseudonymised ones their placeholder;
/// flagged values stay.</summary>
public static class TextRedactor
{
    /// <param name="matches">Merged matches (see <see cref="CompiledPolicy.Merge"/>), none with <see cref="PolicyAction.Block"/>.</param>
    /// <param name="placeholderFor">The placeholder of a pseudonymised value, or null to mask it instead (the
    /// conversation's pseudonym store is full).</param>
    public static string Apply(ReadOnlySpan<char> text, IReadOnlyList<RuleMatch> matches, Func<RuleMatch, string, string?> placeholderFor)
    {
        var output = new StringBuilder(text.Length + 16);
        var at = 0;
        foreach (var match in matches)
        {
            if (match.Action is not (PolicyAction.Mask or PolicyAction.Pseudonymize))
            {
                continue;
            }
            output.Append(text[at..match.Start]);
            var value = text.Slice(match.Start, match.Length);
            var placeholder = match.Action == PolicyAction.Pseudonymize ? placeholderFor(match, value.ToString()) : null;
            if (placeholder is not null)
            {
                output.Append(placeholder);
            }
            else
            {
                output.Append(Masking.Mask(value, match.Rule));
            }
            at = match.End;
        }
        output.Append(text[at..]);
        return output.ToString();
    }
}
