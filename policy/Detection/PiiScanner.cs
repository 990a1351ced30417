using System.Buffers;
using static Parley.Policy.Detection.TextFold;

namespace Parley.Policy.Detection;

/// <summary>Finds personal data and secrets in UTF-16 text in one forward pass, without regular expressions: a
/// vectorised search jumps to the next anchor character (a digit, <c>@</c>, <c>:</c>, <c>-</c> or <c>A</c>, in ASCII or
/// full width), the word around it is classified by hand, and only a candidate of the right shape is validated
/// (checksums, dates, parsers). Findings come out in order and do not overlap. Immutable and thread-safe.</summary>
public sealed partial class PiiScanner
{
    private readonly SearchValues<char> _anchors;
    private readonly int _maxBirthYear;

    public PiiScanner(DetectorSet detectors, int maxBirthYear)
    {
        Detectors = detectors;
        _maxBirthYear = maxBirthYear;
        var anchors = new List<char>();
        const DetectorSet wordDetectors = DetectorSet.ChineseResidentId | DetectorSet.ChinaMobile | DetectorSet.BankCard | DetectorSet.IPv4
            | DetectorSet.IPv6 | DetectorSet.Iban | DetectorSet.Passport | DetectorSet.AwsAccessKeyId | DetectorSet.AwsSecretKey;
        if ((detectors & wordDetectors) != 0)
        {
            anchors.AddRange("0123456789０１２３４５６７８９");
        }
        if (detectors.Has(DetectorKind.AwsAccessKeyId))
        {
            // Key ids start with A; one made only of letters has no digit to anchor on.
            anchors.AddRange("AＡ");
        }
        if (detectors.Has(DetectorKind.Email))
        {
            anchors.AddRange("@＠");
        }
        if (detectors.Has(DetectorKind.IPv6))
        {
            anchors.AddRange(":：");
        }
        if ((detectors & (DetectorSet.ApiKey | DetectorSet.PrivateKey)) != 0)
        {
            anchors.AddRange("-－");
        }
        _anchors = SearchValues.Create(anchors.Distinct().ToArray());
    }

    public DetectorSet Detectors { get; }

    /// <summary>Appends the findings in <paramref name="text"/> to <paramref name="findings"/>. With
    /// <paramref name="final"/> false the text may continue (a stream): a private-key block without its end marker is
    /// reported <see cref="Finding.Open"/> rather than ending at the text's end.</summary>
    public void Scan(ReadOnlySpan<char> text, List<Finding> findings, bool final = true)
    {
        if (Detectors == DetectorSet.None)
        {
            return;
        }
        var pos = 0;
        while (pos < text.Length)
        {
            var relative = text[pos..].IndexOfAny(_anchors);
            if (relative < 0)
            {
                return;
            }
            var i = pos + relative;
            var c = Fold(text[i]);
            var next = c switch
            {
                '@' => ScanEmail(text, pos, i, findings),
                ':' => ScanColon(text, pos, i, findings),
                '-' => ScanDash(text, pos, i, findings, final),
                _ => ScanWord(text, pos, i, findings),
            };
            pos = Math.Max(next, i + 1);
        }
    }

    /// <summary>A word character: an ASCII (or full-width) letter or digit.</summary>
    private static bool IsWord(char c) => IsAlnum(Fold(c));

    private static bool IsWordAt(ReadOnlySpan<char> text, int index) => (uint)index < (uint)text.Length && IsWord(text[index]);

    private static char FoldAt(ReadOnlySpan<char> text, int index) => (uint)index < (uint)text.Length ? Fold(text[index]) : '\0';

    private void Add(List<Finding> findings, int start, int end, DetectorKind kind, bool open = false)
    {
        if (Detectors.Has(kind))
        {
            findings.Add(new Finding(start, end - start, kind, open));
        }
    }
}
