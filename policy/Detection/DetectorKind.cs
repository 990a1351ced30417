namespace Parley.Policy.Detection;

/// <summary>What a detector finds. Each is validated, not just pattern-matched (see docs/policy.md).</summary>
public enum DetectorKind : byte
{
    Email,
    ChineseResidentId,
    ChinaMobile,
    BankCard,
    IPv4,
    IPv6,
    Iban,
    Passport,
    /// <summary><c>sk-…</c> style API keys (OpenAI, Anthropic, Parley's own).</summary>
    ApiKey,
    AwsAccessKeyId,
    AwsSecretKey,
    PrivateKey,
}

/// <summary>A set of detectors, as flags of <see cref="DetectorKind"/>.</summary>
[Flags]
public enum DetectorSet
{
    None = 0,
    Email = 1 << DetectorKind.Email,
    ChineseResidentId = 1 << DetectorKind.ChineseResidentId,
    ChinaMobile = 1 << DetectorKind.ChinaMobile,
    BankCard = 1 << DetectorKind.BankCard,
    IPv4 = 1 << DetectorKind.IPv4,
    IPv6 = 1 << DetectorKind.IPv6,
    Iban = 1 << DetectorKind.Iban,
    Passport = 1 << DetectorKind.Passport,
    ApiKey = 1 << DetectorKind.ApiKey,
    AwsAccessKeyId = 1 << DetectorKind.AwsAccessKeyId,
    AwsSecretKey = 1 << DetectorKind.AwsSecretKey,
    PrivateKey = 1 << DetectorKind.PrivateKey,
    All = (1 << 12) - 1,
}

public static class DetectorKinds
{
    public static DetectorSet ToSet(this DetectorKind kind) => (DetectorSet)(1 << (int)kind);

    public static bool Has(this DetectorSet set, DetectorKind kind) => (set & kind.ToSet()) != 0;

    /// <summary>The label a rule on this detector uses by default: <c>[EMAIL]</c> when masking, <c>&lt;&lt;PII_EMAIL_1&gt;&gt;</c>
    /// when pseudonymising.</summary>
    public static string DefaultLabel(this DetectorKind kind) => kind switch
    {
        DetectorKind.Email => "EMAIL",
        DetectorKind.ChineseResidentId => "CN_ID",
        DetectorKind.ChinaMobile => "PHONE",
        DetectorKind.BankCard => "CARD",
        DetectorKind.IPv4 or DetectorKind.IPv6 => "IP",
        DetectorKind.Iban => "IBAN",
        DetectorKind.Passport => "PASSPORT",
        DetectorKind.ApiKey => "API_KEY",
        DetectorKind.AwsAccessKeyId => "AWS_KEY_ID",
        DetectorKind.AwsSecretKey => "AWS_SECRET",
        DetectorKind.PrivateKey => "PRIVATE_KEY",
        _ => "REDACTED",
    };
}

/// <summary>One value found in a text: <c>[Start, Start + Length)</c> in UTF-16 units. <see cref="Open"/>: a private-key
/// block whose end marker has not been seen (yet): it runs to the end of the text.</summary>
public readonly record struct Finding(int Start, int Length, DetectorKind Kind, bool Open = false)
{
    public int End => Start + Length;
}
