using static Parley.Policy.Detection.TextFold;

namespace Parley.Policy.Detection;

/// <summary>Anchors that are not word characters: '@' (e-mail), ':' (IPv6), '-' (private keys, <c>sk-</c> keys).</summary>
public sealed partial class PiiScanner
{
    private const int MaxLocalPart = 64;
    private const int MaxDomain = 253;
    private const int MinApiKeyBody = 20;
    private const string PemBegin = "-----BEGIN ";
    private const string PemEnd = "-----END ";
    private const string PemKeyTail = "PRIVATE KEY-----";
    private const int MaxPemType = 40;

    private static bool IsLocalChar(char c) => IsAlnum(c) || c is '.' or '_' or '%' or '+' or '-';

    private static bool IsDomainChar(char c) => IsAlnum(c) || c is '.' or '-';

    /// <summary>An address <c>local@domain.tld</c> around the '@' at <paramref name="at"/>: an ASCII local part of 1–64
    /// characters (letters, digits, <c>. _ % + -</c>, no leading, trailing or double dot), a domain of at least two
    /// labels (letters, digits, inner hyphens) and a top-level domain of two or more letters. It takes precedence over
    /// any number found inside its local part.</summary>
    private int ScanEmail(ReadOnlySpan<char> text, int pos, int at, List<Finding> findings)
    {
        var ls = at;
        while (ls > pos && at - ls < MaxLocalPart && IsLocalChar(Fold(text[ls - 1])))
        {
            ls--;
        }
        while (ls < at && Fold(text[ls]) == '.')
        {
            ls++;
        }
        if (ls == at || Fold(text[at - 1]) == '.' || ContainsDoubleDot(text[ls..at]))
        {
            return at + 1;
        }
        var ds = at + 1;
        var de = ds;
        while (de < text.Length && de - ds < MaxDomain && IsDomainChar(Fold(text[de])))
        {
            de++;
        }
        while (de > ds && Fold(text[de - 1]) is '.' or '-')
        {
            de--;
        }
        if (!IsDomain(text[ds..de]))
        {
            return at + 1;
        }
        while (findings.Count > 0 && findings[^1].End > ls)
        {
            findings.RemoveAt(findings.Count - 1);
        }
        Add(findings, ls, de, DetectorKind.Email);
        return de;
    }

    private static bool ContainsDoubleDot(ReadOnlySpan<char> text)
    {
        for (var i = 1; i < text.Length; i++)
        {
            if (Fold(text[i]) == '.' && Fold(text[i - 1]) == '.')
            {
                return true;
            }
        }
        return false;
    }

    private static bool IsDomain(ReadOnlySpan<char> domain)
    {
        var labels = 0;
        var start = 0;
        for (var i = 0; i <= domain.Length; i++)
        {
            if (i < domain.Length && Fold(domain[i]) != '.')
            {
                continue;
            }
            var label = domain[start..i];
            if (label.Length is 0 or > 63 || Fold(label[0]) == '-' || Fold(label[^1]) == '-')
            {
                return false;
            }
            labels++;
            if (i == domain.Length)
            {
                // The top-level domain: letters only.
                if (label.Length < 2)
                {
                    return false;
                }
                foreach (var c in label)
                {
                    if (!char.IsAsciiLetter(Fold(c)))
                    {
                        return false;
                    }
                }
            }
            start = i + 1;
        }
        return labels >= 2;
    }

    private int ScanColon(ReadOnlySpan<char> text, int pos, int i, List<Finding> findings)
    {
        var s = i;
        while (s > pos && (IsHex(Fold(text[s - 1])) || Fold(text[s - 1]) == ':'))
        {
            s--;
        }
        if (IsWordAt(text, s - 1))
        {
            // Inside a longer word (std::vector, a label:value pair).
            return i + 1;
        }
        var end = TryIPv6(text, s, findings);
        return end > 0 ? end : i + 1;
    }

    /// <summary>The run of hex digits, colons and dots (an embedded IPv4 tail) from <paramref name="s"/>, if it is an
    /// IPv6 address ending at a word boundary; returns its end, or -1.</summary>
    private int TryIPv6(ReadOnlySpan<char> text, int s, List<Finding> findings)
    {
        var r = s;
        while (r < text.Length && r - s < 45 && (IsHex(Fold(text[r])) || Fold(text[r]) is ':' or '.'))
        {
            r++;
        }
        while (r > s && Fold(text[r - 1]) == '.')
        {
            r--;
        }
        if (r > s + 1 && Fold(text[r - 1]) == ':' && Fold(text[r - 2]) != ':')
        {
            r--;
        }
        if (IsWordAt(text, r) || !Validators.IsIPv6(text[s..r]))
        {
            return -1;
        }
        Add(findings, s, r, DetectorKind.IPv6);
        return r;
    }

    private int ScanDash(ReadOnlySpan<char> text, int pos, int i, List<Finding> findings, bool final)
    {
        if (Detectors.Has(DetectorKind.PrivateKey) && StartsWithFolded(text[i..], PemBegin) && TryPrivateKey(text, i, findings, final) is var pem and > 0)
        {
            return pem;
        }
        if (Detectors.Has(DetectorKind.ApiKey) && i - 2 >= pos && FoldAt(text, i - 2) == 's' && FoldAt(text, i - 1) == 'k' && !IsWordAt(text, i - 3))
        {
            var e = i + 1;
            bool letter = false, digit = false;
            while (e < text.Length && (IsAlnum(Fold(text[e])) || Fold(text[e]) is '_' or '-'))
            {
                letter |= char.IsAsciiLetter(Fold(text[e]));
                digit |= IsDigit(Fold(text[e]));
                e++;
            }
            if (e - i - 1 >= MinApiKeyBody && letter && digit)
            {
                Add(findings, i - 2, e, DetectorKind.ApiKey);
                return e;
            }
        }
        return i + 1;
    }

    /// <summary>A PEM private-key block, <c>-----BEGIN [TYPE ]PRIVATE KEY-----</c> to the matching END line. Without its
    /// END line it runs to the end of the text (open, when the text may continue).</summary>
    private int TryPrivateKey(ReadOnlySpan<char> text, int i, List<Finding> findings, bool final)
    {
        var h = i + PemBegin.Length;
        var k = h;
        while (k < text.Length && k - h < MaxPemType + PemKeyTail.Length && (IsUpper(Fold(text[k])) || Fold(text[k]) is ' ' or '-'))
        {
            k++;
        }
        var header = text[h..k];
        var tail = header.IndexOf(PemKeyTail.AsSpan());
        if (tail < 0)
        {
            return -1;
        }
        var bodyStart = h + tail + PemKeyTail.Length;
        var rest = text[bodyStart..];
        var end = -1;
        var search = 0;
        while (true)
        {
            var endMarker = rest[search..].IndexOf(PemEnd.AsSpan());
            if (endMarker < 0)
            {
                break;
            }
            var markerStart = search + endMarker + PemEnd.Length;
            var line = rest[markerStart..];
            var limit = Math.Min(line.Length, MaxPemType + PemKeyTail.Length);
            var closing = line[..limit].IndexOf(PemKeyTail.AsSpan());
            if (closing >= 0)
            {
                end = bodyStart + markerStart + closing + PemKeyTail.Length;
                break;
            }
            search = markerStart;
        }
        if (end > 0)
        {
            Add(findings, i, end, DetectorKind.PrivateKey);
            return end;
        }
        Add(findings, i, text.Length, DetectorKind.PrivateKey, open: !final);
        return text.Length;
    }

    private static bool StartsWithFolded(ReadOnlySpan<char> text, string prefix)
    {
        if (text.Length < prefix.Length)
        {
            return false;
        }
        for (var i = 0; i < prefix.Length; i++)
        {
            if (Fold(text[i]) != prefix[i])
            {
                return false;
            }
        }
        return true;
    }
}
