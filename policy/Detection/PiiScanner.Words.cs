using static Parley.Policy.Detection.TextFold;

namespace Parley.Policy.Detection;

/// <summary>Words around a digit (or the A of an AWS key id): numbers and their groupings, IBANs, passports, AWS keys.</summary>
public sealed partial class PiiScanner
{
    private const int MaxGroups = 8;
    private const int MaxNumberDigits = 19;

    private static readonly string[] PassportContext = ["passport", "passeport", "pasaporte", "passaporto", "reisepass", "paspoort", "护照", "護照", "旅券", "여권"];
    private static readonly string[] AwsSecretContext = ["aws", "secret"];
    private const int PassportContextWindow = 48;
    private const int AwsSecretContextWindow = 64;

    private static readonly string[] AwsKeyIdPrefixes = ["AKIA", "ASIA", "ABIA", "ACCA", "AGPA", "AIDA", "AIPA", "ANPA", "ANVA", "AROA", "APKA", "ASCA"];

    private int ScanWord(ReadOnlySpan<char> text, int pos, int i, List<Finding> findings)
    {
        var ws = i;
        while (ws > pos && IsWord(text[ws - 1]))
        {
            ws--;
        }
        var we = i + 1;
        while (we < text.Length && IsWord(text[we]))
        {
            we++;
        }
        if (Detectors.Has(DetectorKind.Email) && EmailAtAhead(text, we) is var at and >= 0)
        {
            // The word is (part of) the local part of an address: the address takes it whole.
            return ScanEmail(text, pos, at, findings);
        }
        var word = text[ws..we];
        var after = FoldAt(text, we);
        if (after == ':' && Detectors.Has(DetectorKind.IPv6) && AllHex(word) && TryIPv6(text, ws, findings) is var v6 and > 0)
        {
            return v6;
        }
        if (Validators.AllDigits(word))
        {
            if (after == '.' && IsDigit(FoldAt(text, we + 1)))
            {
                return ScanDotted(text, ws, findings);
            }
            return ScanNumber(text, ws, we, findings);
        }
        if (word.Length == 18 && Validators.AllDigits(word[..17]) && Fold(word[17]) is 'X' or 'x')
        {
            return ScanNumber(text, ws, we, findings);
        }
        return ScanMixedWord(text, pos, ws, we, findings);
    }

    /// <summary>The index of an '@' that the word ending at <paramref name="we"/> leads to through local-part characters, else -1.</summary>
    private static int EmailAtAhead(ReadOnlySpan<char> text, int we)
    {
        for (var k = we; k < text.Length && k - we < 64; k++)
        {
            var c = Fold(text[k]);
            if (c == '@')
            {
                return k;
            }
            if (!IsLocalChar(c))
            {
                return -1;
            }
        }
        return -1;
    }

    /// <summary>Digits, then more digit groups joined by one consistent separator (a space or a dash): resident ids,
    /// mobile numbers (with an optional +86 / 0086 prefix), card numbers and 9-digit passport numbers. The longest
    /// run of groups that is one of them wins.</summary>
    private int ScanNumber(ReadOnlySpan<char> text, int ws, int we, List<Finding> findings)
    {
        Span<int> starts = stackalloc int[MaxGroups];
        Span<int> ends = stackalloc int[MaxGroups];
        starts[0] = ws;
        ends[0] = we;
        var groups = 1;
        var total = we - ws;
        var separator = '\0';
        var e = we;
        while (groups < MaxGroups && total <= MaxNumberDigits)
        {
            var s = FoldAt(text, e);
            if ((s != ' ' && s != '-') || (separator != '\0' && s != separator) || !IsDigit(FoldAt(text, e + 1)))
            {
                break;
            }
            var ge = e + 1;
            while (ge < text.Length && IsDigit(Fold(text[ge])))
            {
                ge++;
            }
            if (IsWordAt(text, ge))
            {
                // Only a resident id's check character may follow a group's digits.
                if (FoldAt(text, ge) is 'X' or 'x' && !IsWordAt(text, ge + 1))
                {
                    ge++;
                }
                else
                {
                    break;
                }
            }
            separator = s;
            starts[groups] = e + 1;
            ends[groups] = ge;
            groups++;
            total += ge - e - 1;
            e = ge;
        }
        for (var n = groups; n >= 1; n--)
        {
            if (ClassifyNumber(text, starts[..n], ends[..n], out var start) is { } kind)
            {
                Add(findings, start, ends[n - 1], kind);
                return ends[n - 1];
            }
        }
        return we;
    }

    private DetectorKind? ClassifyNumber(ReadOnlySpan<char> text, ReadOnlySpan<int> starts, ReadOnlySpan<int> ends, out int start)
    {
        start = starts[0];
        Span<char> digits = stackalloc char[MaxNumberDigits + MaxGroups * 8];
        var length = 0;
        Span<int> lengths = stackalloc int[MaxGroups];
        for (var g = 0; g < starts.Length; g++)
        {
            lengths[g] = ends[g] - starts[g];
            if (length + lengths[g] > digits.Length)
            {
                return null;
            }
            TextFold.Fold(text[starts[g]..ends[g]], digits[length..]);
            length += lengths[g];
        }
        var number = digits[..length];
        lengths = lengths[..starts.Length];
        var single = starts.Length == 1;
        if (length == 18 && (single || Pattern(lengths, 6, 8, 4)) && Validators.IsResidentId(number, _maxBirthYear))
        {
            return DetectorKind.ChineseResidentId;
        }
        if (number.IndexOfAny('X', 'x') >= 0)
        {
            return null;
        }
        if (length == 11 && (single || Pattern(lengths, 3, 4, 4)) && Validators.IsChinaMobile(number))
        {
            start = MobilePrefixStart(text, starts[0]);
            return DetectorKind.ChinaMobile;
        }
        if (length == 13 && single && number.StartsWith("86") && Validators.IsChinaMobile(number[2..]))
        {
            start = FoldAt(text, starts[0] - 1) == '+' ? starts[0] - 1 : starts[0];
            return DetectorKind.ChinaMobile;
        }
        if (length is >= 13 and <= MaxNumberDigits && (single || IsCardGrouping(lengths)) && Validators.PassesLuhn(number))
        {
            return DetectorKind.BankCard;
        }
        if (length == 9 && single && Detectors.Has(DetectorKind.Passport) && HasContext(text, starts[0], PassportContext, PassportContextWindow))
        {
            return DetectorKind.Passport;
        }
        return null;
    }

    private static bool Pattern(ReadOnlySpan<int> lengths, int a, int b, int c) => lengths.Length == 3 && lengths[0] == a && lengths[1] == b && lengths[2] == c;

    /// <summary>Cards are printed in fours (the last group shorter), or 4-6-5 / 4-6-4 (American Express, Diners).</summary>
    private static bool IsCardGrouping(ReadOnlySpan<int> lengths)
    {
        if (Pattern(lengths, 4, 6, 5) || Pattern(lengths, 4, 6, 4))
        {
            return true;
        }
        for (var g = 0; g < lengths.Length - 1; g++)
        {
            if (lengths[g] != 4)
            {
                return false;
            }
        }
        return lengths[^1] is >= 1 and <= 4;
    }

    /// <summary>Where a mobile number starts when it carries the country code: <c>+86</c>, <c>(+86)</c> or <c>0086</c>,
    /// optionally followed by a space or dash.</summary>
    private static int MobilePrefixStart(ReadOnlySpan<char> text, int digitsStart)
    {
        var p = digitsStart;
        if (FoldAt(text, p - 1) is ' ' or '-')
        {
            p--;
        }
        var paren = FoldAt(text, p - 1) == ')';
        var k = paren ? p - 1 : p;
        if (k >= 3 && FoldAt(text, k - 3) == '+' && FoldAt(text, k - 2) == '8' && FoldAt(text, k - 1) == '6')
        {
            var s = k - 3;
            return paren ? FoldAt(text, s - 1) == '(' ? s - 1 : digitsStart : s;
        }
        if (!paren && k >= 4 && FoldAt(text, k - 4) == '0' && FoldAt(text, k - 3) == '0' && FoldAt(text, k - 2) == '8' && FoldAt(text, k - 1) == '6'
            && !IsWordAt(text, k - 5))
        {
            return k - 4;
        }
        return digitsStart;
    }

    /// <summary>Digits and dots from <paramref name="ws"/>: an IPv4 address, or else skipped whole (a decimal or a
    /// version number).</summary>
    private int ScanDotted(ReadOnlySpan<char> text, int ws, List<Finding> findings)
    {
        var r = ws;
        while (r < text.Length && (IsDigit(Fold(text[r])) || (Fold(text[r]) == '.' && IsDigit(FoldAt(text, r + 1)))))
        {
            r++;
        }
        var before = FoldAt(text, ws - 1);
        if (before != '.' && !IsWordAt(text, r) && Validators.IsIPv4(text[ws..r]))
        {
            Add(findings, ws, r, DetectorKind.IPv4);
        }
        return r;
    }

    private int ScanMixedWord(ReadOnlySpan<char> text, int pos, int ws, int we, List<Finding> findings)
    {
        var word = text[ws..we];
        if (word.Length >= 4 && Detectors.Has(DetectorKind.Iban) && IsUpper(Fold(word[0])) && IsUpper(Fold(word[1])) && IsDigit(Fold(word[2]))
            && IsDigit(Fold(word[3])) && TryIban(text, ws, we) is var ibanEnd and > 0)
        {
            Add(findings, ws, ibanEnd, DetectorKind.Iban);
            return ibanEnd;
        }
        if (word.Length == 20 && Detectors.Has(DetectorKind.AwsAccessKeyId) && IsAwsKeyId(word))
        {
            Add(findings, ws, we, DetectorKind.AwsAccessKeyId);
            return we;
        }
        if (Detectors.Has(DetectorKind.Passport) && IsPassport(text, ws, word))
        {
            Add(findings, ws, we, DetectorKind.Passport);
            return we;
        }
        if (Detectors.Has(DetectorKind.AwsSecretKey) && TryAwsSecret(text, pos, ws, we) is var (secretStart, secretEnd))
        {
            Add(findings, secretStart, secretEnd, DetectorKind.AwsSecretKey);
            return secretEnd;
        }
        return we;
    }

    /// <summary>An IBAN from <paramref name="ws"/>: compact, or printed in groups of four separated by single spaces.</summary>
    private static int TryIban(ReadOnlySpan<char> text, int ws, int we)
    {
        var length = Validators.IbanLength(Fold(text[ws]), Fold(text[ws + 1]));
        var firstGroup = we - ws;
        if (length == 0 || (firstGroup != length && firstGroup != 4))
        {
            return -1;
        }
        Span<char> iban = stackalloc char[34];
        TextFold.Fold(text[ws..we], iban);
        var count = firstGroup;
        var end = we;
        while (count < length)
        {
            if (FoldAt(text, end) != ' ' || !IsWordAt(text, end + 1))
            {
                return -1;
            }
            var gs = end + 1;
            var ge = gs;
            while (ge < text.Length && IsWord(text[ge]))
            {
                ge++;
            }
            var group = ge - gs;
            if (group > 4 || count + group > length || (group < 4 && count + group != length))
            {
                return -1;
            }
            TextFold.Fold(text[gs..ge], iban[count..]);
            count += group;
            end = ge;
        }
        return Validators.IsIban(iban[..count]) ? end : -1;
    }

    private static bool IsAwsKeyId(ReadOnlySpan<char> word)
    {
        foreach (var c in word)
        {
            if (!IsUpper(c) && !IsDigit(c))
            {
                return false;
            }
        }
        foreach (var prefix in AwsKeyIdPrefixes)
        {
            if (word.StartsWith(prefix, StringComparison.Ordinal))
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>Passport numbers (see docs/policy.md): the PRC's own formats anywhere (E, G, D, S or P and 8 digits; E, a
    /// letter other than I or O, and 7 digits), other countries' common formats (1–2 letters and 6–8 digits) only with
    /// the word "passport" (or 护照, passeport, …) shortly before.</summary>
    private static bool IsPassport(ReadOnlySpan<char> text, int ws, ReadOnlySpan<char> word)
    {
        if (word.Length == 9 && IsUpper(Fold(word[0])))
        {
            var f0 = Fold(word[0]);
            var f1 = Fold(word[1]);
            if (f0 is 'E' or 'G' or 'D' or 'S' or 'P' && Validators.AllDigits(word[1..]))
            {
                return true;
            }
            if (f0 == 'E' && IsUpper(f1) && f1 is not ('I' or 'O') && Validators.AllDigits(word[2..]))
            {
                return true;
            }
        }
        if (word.Length is < 7 or > 10)
        {
            return false;
        }
        var letters = 0;
        while (letters < word.Length && IsUpper(Fold(word[letters])))
        {
            letters++;
        }
        return letters is 1 or 2 && word.Length - letters is >= 6 and <= 8 && Validators.AllDigits(word[letters..])
            && HasContext(text, ws, PassportContext, PassportContextWindow);
    }

    /// <summary>An AWS secret access key: exactly 40 characters of base64 (<c>A–Z a–z 0–9 / +</c>) with upper case, lower
    /// case and a digit, and "aws" or "secret" shortly before it (40 random characters alone are not told apart from
    /// other tokens).</summary>
    private static (int Start, int End)? TryAwsSecret(ReadOnlySpan<char> text, int pos, int ws, int we)
    {
        var s = ws;
        while (s > pos && IsBase64(Fold(text[s - 1])))
        {
            s--;
        }
        var e = we;
        while (e < text.Length && IsBase64(Fold(text[e])))
        {
            e++;
        }
        if (e - s != 40 || FoldAt(text, e) == '=')
        {
            return null;
        }
        bool upper = false, lower = false, digit = false;
        foreach (var ch in text[s..e])
        {
            var c = Fold(ch);
            upper |= IsUpper(c);
            lower |= IsLower(c);
            digit |= IsDigit(c);
        }
        return upper && lower && digit && HasContext(text, s, AwsSecretContext, AwsSecretContextWindow) ? (s, e) : null;
    }

    private static bool IsBase64(char c) => IsAlnum(c) || c is '/' or '+';

    private static bool AllHex(ReadOnlySpan<char> word)
    {
        foreach (var c in word)
        {
            if (!IsHex(Fold(c)))
            {
                return false;
            }
        }
        return true;
    }

    private static bool HasContext(ReadOnlySpan<char> text, int start, string[] words, int window)
    {
        var before = text[Math.Max(0, start - window)..start];
        foreach (var word in words)
        {
            if (before.Contains(word, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }
        return false;
    }
}
