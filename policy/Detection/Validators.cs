using System.Collections.Frozen;
using static Parley.Policy.Detection.TextFold;

namespace Parley.Policy.Detection;

/// <summary>The checks that turn a pattern into a finding. Every method reads folded characters (full-width digits and
/// letters count as ASCII).</summary>
public static class Validators
{
    private static ReadOnlySpan<byte> ResidentIdWeights => [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    private const string ResidentIdCheckChars = "10X98765432";

    // The first two digits: the province-level division (GB/T 2260), Taiwan (71, 83: residence permits), Hong Kong (81), Macau (82).
    private static readonly FrozenSet<int> ResidentIdRegions = new[]
    {
        11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45, 46, 50, 51, 52, 53, 54, 61, 62, 63, 64, 65, 71, 81, 82, 83,
    }.ToFrozenSet();

    /// <summary>A mainland resident identity number (GB 11643-1999): 17 digits and a check character (digit or X), a known
    /// region, a real birth date between 1900 and <paramref name="maxBirthYear"/>, and the ISO 7064 MOD 11-2 checksum.</summary>
    public static bool IsResidentId(ReadOnlySpan<char> digits, int maxBirthYear)
    {
        if (digits.Length != 18)
        {
            return false;
        }
        var sum = 0;
        for (var i = 0; i < 17; i++)
        {
            var c = Fold(digits[i]);
            if (!IsDigit(c))
            {
                return false;
            }
            sum += (c - '0') * ResidentIdWeights[i];
        }
        var check = char.ToUpperInvariant(Fold(digits[17]));
        if (check != ResidentIdCheckChars[sum % 11])
        {
            return false;
        }
        if (!ResidentIdRegions.Contains(Number(digits[..2])))
        {
            return false;
        }
        var year = Number(digits.Slice(6, 4));
        var month = Number(digits.Slice(10, 2));
        var day = Number(digits.Slice(12, 2));
        return year >= 1900 && year <= maxBirthYear && month is >= 1 and <= 12 && day >= 1 && day <= DateTime.DaysInMonth(year, month);
    }

    /// <summary>The ISO 7064 MOD 11-2 check character of 17 digits (for building test data).</summary>
    public static char ResidentIdCheckChar(ReadOnlySpan<char> seventeenDigits)
    {
        var sum = 0;
        for (var i = 0; i < 17; i++)
        {
            sum += (Fold(seventeenDigits[i]) - '0') * ResidentIdWeights[i];
        }
        return ResidentIdCheckChars[sum % 11];
    }

    /// <summary>A mainland mobile number: 11 digits, 1 then 3–9.</summary>
    public static bool IsChinaMobile(ReadOnlySpan<char> digits)
        => digits.Length == 11 && Fold(digits[0]) == '1' && Fold(digits[1]) is >= '3' and <= '9' && AllDigits(digits);

    /// <summary>The Luhn (mod 10) checksum over digits.</summary>
    public static bool PassesLuhn(ReadOnlySpan<char> digits)
    {
        var sum = 0;
        var doubled = false;
        for (var i = digits.Length - 1; i >= 0; i--)
        {
            var d = Fold(digits[i]) - '0';
            if ((uint)d > 9)
            {
                return false;
            }
            if (doubled)
            {
                d *= 2;
                if (d > 9)
                {
                    d -= 9;
                }
            }
            sum += d;
            doubled = !doubled;
        }
        return sum % 10 == 0;
    }

    /// <summary>A payment card number: 13–19 digits passing Luhn.</summary>
    public static bool IsBankCard(ReadOnlySpan<char> digits) => digits.Length is >= 13 and <= 19 && PassesLuhn(digits);

    /// <summary>An IBAN without spaces: a country of the SWIFT registry with its exact length, check digits, an upper-case
    /// alphanumeric BBAN, and the ISO 7064 MOD 97-10 checksum (remainder 1).</summary>
    public static bool IsIban(ReadOnlySpan<char> iban)
    {
        if (iban.Length < 15 || !IsUpper(Fold(iban[0])) || !IsUpper(Fold(iban[1])) || !IsDigit(Fold(iban[2])) || !IsDigit(Fold(iban[3])))
        {
            return false;
        }
        if (IbanLength(Fold(iban[0]), Fold(iban[1])) != iban.Length)
        {
            return false;
        }
        var remainder = 0;
        for (var i = 0; i < iban.Length; i++)
        {
            // The country code and check digits move to the end.
            var c = Fold(iban[(i + 4) % iban.Length]);
            if (IsDigit(c))
            {
                remainder = ((remainder * 10) + (c - '0')) % 97;
            }
            else if (IsUpper(c))
            {
                remainder = ((remainder * 100) + (c - 'A' + 10)) % 97;
            }
            else
            {
                return false;
            }
        }
        return remainder == 1;
    }

    /// <summary>The IBAN length of a country (0: not an IBAN country).</summary>
    public static int IbanLength(char first, char second)
        => IbanLengths.TryGetValue(((first - 'A') * 26) + (second - 'A'), out var length) ? length : 0;

    // SWIFT IBAN registry: country code → IBAN length.
    private static readonly FrozenDictionary<int, int> IbanLengths = new Dictionary<string, int>
    {
        ["AD"] = 24, ["AE"] = 23, ["AL"] = 28, ["AT"] = 20, ["AZ"] = 28, ["BA"] = 20, ["BE"] = 16, ["BG"] = 22, ["BH"] = 22, ["BI"] = 27,
        ["BR"] = 29, ["BY"] = 28, ["CH"] = 21, ["CR"] = 22, ["CY"] = 28, ["CZ"] = 24, ["DE"] = 22, ["DJ"] = 27, ["DK"] = 18, ["DO"] = 28,
        ["EE"] = 20, ["EG"] = 29, ["ES"] = 24, ["FI"] = 18, ["FK"] = 18, ["FO"] = 18, ["FR"] = 27, ["GB"] = 22, ["GE"] = 22, ["GI"] = 23,
        ["GL"] = 18, ["GR"] = 27, ["GT"] = 28, ["HR"] = 21, ["HU"] = 28, ["IE"] = 22, ["IL"] = 23, ["IQ"] = 23, ["IS"] = 26, ["IT"] = 27,
        ["JO"] = 30, ["KW"] = 30, ["KZ"] = 20, ["LB"] = 28, ["LC"] = 32, ["LI"] = 21, ["LT"] = 20, ["LU"] = 20, ["LV"] = 21, ["LY"] = 25,
        ["MC"] = 27, ["MD"] = 24, ["ME"] = 22, ["MK"] = 19, ["MN"] = 20, ["MR"] = 27, ["MT"] = 31, ["MU"] = 30, ["NI"] = 28, ["NL"] = 18,
        ["NO"] = 15, ["OM"] = 23, ["PK"] = 24, ["PL"] = 28, ["PS"] = 29, ["PT"] = 25, ["QA"] = 29, ["RO"] = 24, ["RS"] = 22, ["RU"] = 33,
        ["SA"] = 24, ["SC"] = 31, ["SD"] = 18, ["SE"] = 24, ["SI"] = 19, ["SK"] = 24, ["SM"] = 27, ["SO"] = 23, ["ST"] = 25, ["SV"] = 28,
        ["TL"] = 23, ["TN"] = 24, ["TR"] = 26, ["UA"] = 29, ["VA"] = 22, ["VG"] = 24, ["XK"] = 20, ["YE"] = 30,
    }.ToFrozenDictionary(p => ((p.Key[0] - 'A') * 26) + (p.Key[1] - 'A'), p => p.Value);

    /// <summary>A dotted-quad IPv4 address: four decimal octets 0–255 without leading zeros.</summary>
    public static bool IsIPv4(ReadOnlySpan<char> text)
    {
        var octets = 0;
        var i = 0;
        while (true)
        {
            var start = i;
            var value = 0;
            while (i < text.Length && IsDigit(Fold(text[i])) && i - start < 3)
            {
                value = (value * 10) + (Fold(text[i]) - '0');
                i++;
            }
            var length = i - start;
            if (length == 0 || value > 255 || (length > 1 && Fold(text[start]) == '0'))
            {
                return false;
            }
            octets++;
            if (octets == 4)
            {
                return i == text.Length;
            }
            if (i >= text.Length || Fold(text[i]) != '.')
            {
                return false;
            }
            i++;
        }
    }

    /// <summary>An IPv6 address as <see cref="System.Net.IPAddress"/> parses it (no zone, no brackets), written either in
    /// full (eight groups) or with <c>::</c> and at least two non-empty groups, so <c>::</c>, <c>::1</c> and times
    /// like <c>12:30:45</c> are not taken for addresses.</summary>
    public static bool IsIPv6(ReadOnlySpan<char> text)
    {
        if (text.Length < 3 || text.Length > 45 || text.IndexOfAny('%', '[', ']') >= 0)
        {
            return false;
        }
        Span<char> folded = stackalloc char[text.Length];
        TextFold.Fold(text, folded);
        var groups = 0;
        var inGroup = false;
        foreach (var c in folded)
        {
            if (c == ':')
            {
                inGroup = false;
            }
            else if (!inGroup)
            {
                inGroup = true;
                groups++;
            }
        }
        var compressed = folded.IndexOf("::".AsSpan()) >= 0;
        if (compressed ? groups < 2 : groups < 7)
        {
            return false;
        }
        return System.Net.IPAddress.TryParse(folded, out var address) && address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6;
    }

    public static bool AllDigits(ReadOnlySpan<char> text)
    {
        foreach (var c in text)
        {
            if (!IsDigit(Fold(c)))
            {
                return false;
            }
        }
        return true;
    }

    private static int Number(ReadOnlySpan<char> digits)
    {
        var value = 0;
        foreach (var c in digits)
        {
            value = (value * 10) + (Fold(c) - '0');
        }
        return value;
    }
}
