using Parley.Policy.Detection;
using Parley.Policy.Redaction;
using Parley.Policy.Rules;

namespace Parley.Policy.Tests;

public sealed class RedactionTests
{
    private static string Redact(CompiledPolicy policy, string text, Dictionary<string, string>? placeholders = null)
    {
        var matches = new List<RuleMatch>();
        policy.Scan(text, PolicyDirection.Input, matches);
        CompiledPolicy.Merge(matches);
        var counters = new Dictionary<string, int>();
        return TextRedactor.Apply(text, matches, (match, value) =>
        {
            if (placeholders is null)
            {
                return null;
            }
            if (!placeholders.TryGetValue(value, out var placeholder))
            {
                var n = counters[match.Rule.Label] = counters.GetValueOrDefault(match.Rule.Label) + 1;
                placeholders[value] = placeholder = Placeholders.Format(match.Rule.Label, n);
            }
            return placeholder;
        });
    }

    [Fact]
    public void Mask_pseudonymise_and_flag_rewrite_as_configured()
    {
        var policy = new CompiledPolicy("p",
        [
            PolicyRule.ForDetector("email", DetectorKind.Email, PolicyAction.Pseudonymize),
            PolicyRule.ForDetector("card", DetectorKind.BankCard, PolicyAction.Mask, maskStyle: MaskStyle.Partial, keepEnd: 4),
            PolicyRule.ForDetector("phone", DetectorKind.ChinaMobile, PolicyAction.Mask),
            PolicyRule.ForDetector("ip", DetectorKind.IPv4, PolicyAction.Flag),
        ], Scan.MaxBirthYear);
        var vault = new Dictionary<string, string>();
        var text = "a@example.com, b@example.com, a@example.com, card 4111 1111 1111 1111, 手机13800138000, ip 10.0.0.1";
        Assert.Equal("<<PII_EMAIL_1>>, <<PII_EMAIL_2>>, <<PII_EMAIL_1>>, card **** **** **** 1111, 手机[PHONE], ip 10.0.0.1",
            Redact(policy, text, vault));
        // Without room for pseudonyms the value is masked.
        Assert.StartsWith("[EMAIL], ", Redact(policy, text));
    }

    [Fact]
    public void Partial_masks_of_emails_keep_the_domain()
    {
        var rule = PolicyRule.ForDetector("email", DetectorKind.Email, PolicyAction.Mask, maskStyle: MaskStyle.Partial, keepStart: 1);
        Assert.Equal("z********@example.com", Masking.Mask("zhang.san@example.com", rule));
        var phone = PolicyRule.ForDetector("phone", DetectorKind.ChinaMobile, PolicyAction.Mask, maskStyle: MaskStyle.Partial, keepStart: 3, keepEnd: 4);
        Assert.Equal("138****8000", Masking.Mask("13800138000", phone));
    }

    [Fact]
    public void Overlapping_rules_merge_into_the_strictest()
    {
        var policy = new CompiledPolicy("p",
        [
            PolicyRule.ForDetector("email", DetectorKind.Email, PolicyAction.Flag),
            PolicyRule.ForKeywords("kw", ["example.com"], PolicyAction.Mask, label: "DOMAIN"),
        ], Scan.MaxBirthYear);
        Assert.Equal("write to [DOMAIN]", Redact(policy, "write to a@example.com"));
    }

    [Fact]
    public void The_stricter_of_two_rules_on_the_same_detector_wins_in_a_union()
    {
        var lenient = new CompiledPolicy("a", [PolicyRule.ForDetector("e1", DetectorKind.Email, PolicyAction.Flag)], Scan.MaxBirthYear);
        var strict = new CompiledPolicy("b", [PolicyRule.ForDetector("e2", DetectorKind.Email, PolicyAction.Block)], Scan.MaxBirthYear);
        var union = CompiledPolicy.Union(lenient, strict, Scan.MaxBirthYear);
        var matches = new List<RuleMatch>();
        union.Scan("x a@example.com", PolicyDirection.Input, matches);
        Assert.Equal("e2", Assert.Single(matches).Rule.Id);
        Assert.Equal("a+b", union.Name);
    }

    [Theory]
    [InlineData("<<PII_EMAIL_1>>", 15)]
    [InlineData("<<PII_CN_ID_12>> tail", 16)]
    [InlineData("<<PII_EMAIL_0>>", 0)]
    [InlineData("<<PII_EMAIL>>", 0)]
    [InlineData("<<PII_email_1>>", 0)]
    [InlineData("<<PII_EMAIL_1>", 0)]
    [InlineData("<<PII__1>>", 0)]
    public void Placeholders_are_parsed_exactly(string text, int length) => Assert.Equal(length, Placeholders.LengthAt(text));

    [Theory]
    [InlineData("<", true)]
    [InlineData("<<PI", true)]
    [InlineData("<<PII_EMA", true)]
    [InlineData("<<PII_EMAIL_1", true)]
    [InlineData("<<PII_EMAIL_1>", true)]
    [InlineData("<<PII_EMAIL_1>>", false)]
    [InlineData("<<PIX", false)]
    [InlineData("<<PII_email", false)]
    public void Placeholder_prefixes_are_recognised(string tail, bool prefix) => Assert.Equal(prefix, Placeholders.IsPrefix(tail));
}
