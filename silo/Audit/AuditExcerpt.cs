using System.Text;
using System.Text.Json;
using Parley.Policy.Detection;

namespace Parley.Silo.Audit;

/// <summary>The prompt excerpt a record keeps: the start of the last user message as it went upstream (after the
/// request's PII policy), then every value any of Parley's detectors finds (e-mail, phone, ids, cards, IBAN, IP,
/// passport, API and AWS keys, private keys) masked as <c>[LABEL]</c>, whatever the policy did, so no raw personal data
/// or secret reaches the trail even on a route or for a caller without a policy. Control characters become spaces.</summary>
public sealed class AuditExcerpt(int maxChars)
{
    // Scanned beyond the excerpt's length so a value that starts inside it is seen whole.
    private const int ScanSlack = 512;
    private readonly PiiScanner _scanner = new(DetectorSet.All, DateTime.UtcNow.Year);

    [ThreadStatic]
    private static List<Finding>? t_findings;

    public int MaxChars => maxChars;

    /// <summary>The excerpt of a chat request's messages (null: none to take).</summary>
    public string? FromMessages(JsonElement messages)
    {
        if (maxChars == 0 || messages.ValueKind != JsonValueKind.Array)
        {
            return null;
        }
        JsonElement? last = null;
        foreach (var message in messages.EnumerateArray())
        {
            if (message.ValueKind == JsonValueKind.Object && message.TryGetProperty("role"u8, out var role) && role.ValueEquals("user"u8))
            {
                last = message;
            }
        }
        if (last is not { } user || !user.TryGetProperty("content"u8, out var content))
        {
            return null;
        }
        if (content.ValueKind == JsonValueKind.String)
        {
            return From(content.GetString()!);
        }
        if (content.ValueKind != JsonValueKind.Array)
        {
            return null;
        }
        var text = new StringBuilder();
        foreach (var part in content.EnumerateArray())
        {
            if (part.ValueKind == JsonValueKind.Object && part.TryGetProperty("text"u8, out var partText) && partText.ValueKind == JsonValueKind.String)
            {
                text.Append(text.Length > 0 ? " " : "").Append(partText.GetString());
                if (text.Length > maxChars + ScanSlack)
                {
                    break;
                }
            }
        }
        return text.Length == 0 ? null : From(text.ToString());
    }

    /// <summary>The masked, cut excerpt of a text.</summary>
    public string From(ReadOnlySpan<char> text)
    {
        var final = text.Length <= maxChars + ScanSlack;
        var window = final ? text : text[..(maxChars + ScanSlack)];
        var findings = t_findings ??= [];
        findings.Clear();
        // Not final when cut: a value running past the window is reported open and masked whole.
        _scanner.Scan(window, findings, final);
        var output = new StringBuilder(Math.Min(window.Length, maxChars) + 16);
        var position = 0;
        foreach (var finding in findings)
        {
            if (output.Length >= maxChars)
            {
                break;
            }
            AppendClean(output, window[position..finding.Start]);
            output.Append('[').Append(finding.Kind.DefaultLabel()).Append(']');
            position = Math.Min(finding.End, window.Length);
        }
        if (output.Length < maxChars)
        {
            AppendClean(output, window[position..]);
        }
        if (output.Length > maxChars)
        {
            var cut = maxChars;
            if (char.IsHighSurrogate(output[cut - 1]))
            {
                cut--;
            }
            output.Length = cut;
        }
        return output.ToString();
    }

    private static void AppendClean(StringBuilder output, ReadOnlySpan<char> text)
    {
        foreach (var c in text)
        {
            output.Append(char.IsControl(c) ? ' ' : c);
        }
    }
}
