using Parley.Policy.Detection;
using Parley.Policy.Redaction;
using Parley.Policy.Rules;
using Parley.Policy.Streaming;

namespace Parley.Policy.Tests;

public sealed class StreamTextFilterTests
{
    private const int HoldBack = 256;

    private static readonly CompiledPolicy Output = new("out",
    [
        PolicyRule.ForDetector("email", DetectorKind.Email, PolicyAction.Pseudonymize, PolicyAction.Mask),
        PolicyRule.ForDetector("card", DetectorKind.BankCard, PolicyAction.None, PolicyAction.Mask),
        PolicyRule.ForDetector("key", DetectorKind.PrivateKey, PolicyAction.Block, PolicyAction.Mask),
        PolicyRule.ForDetector("ip", DetectorKind.IPv4, PolicyAction.None, PolicyAction.Flag),
        PolicyRule.ForKeywords("falcon", ["Project Falcon"], PolicyAction.Block, PolicyAction.Mask, label: "CODENAME"),
    ], Scan.MaxBirthYear);

    private static PseudonymVault Vault()
    {
        var vault = new PseudonymVault();
        vault.Add("<<PII_EMAIL_1>>", "zhang.san@example.com");
        vault.Add("<<PII_PHONE_1>>", "13800138000");
        return vault;
    }

    private const string Reply = "好的，我会发邮件到<<PII_EMAIL_1>>并打<<PII_PHONE_1>>。New: ops@example.org, card 4111 1111 1111 1111, "
        + "host 10.0.0.1, about Project Falcon. key -----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkq\n-----END PRIVATE KEY----- done <<PII_EMAIL_9>>";

    private const string Expected = "好的，我会发邮件到zhang.san@example.com并打13800138000。New: [EMAIL], card [CARD], "
        + "host 10.0.0.1, about [CODENAME]. key [PRIVATE_KEY] done <<PII_EMAIL_9>>";

    private static StreamTextFilter Filter(bool escape = false) => new(Output, Vault(), HoldBack, escape);

    [Fact]
    public void A_whole_text_is_restored_and_masked()
    {
        var filter = Filter();
        Assert.Equal(Expected, filter.Apply(Reply));
        Assert.Equal(2, filter.Restored);
        Assert.Equal(1, filter.Hits.Single(h => h.Key.Id == "ip").Value);
    }

    [Fact]
    public void Every_split_into_two_pieces_gives_the_same_text()
    {
        for (var cut = 0; cut <= Reply.Length; cut++)
        {
            var filter = Filter();
            var output = filter.Push(Reply.AsSpan(0, cut)) + filter.Push(Reply.AsSpan(cut)) + filter.Flush();
            Assert.True(Expected == output, $"cut at {cut}: {output}");
        }
    }

    [Fact]
    public void Pieces_of_one_to_seven_characters_give_the_same_text_and_hold_back_little()
    {
        for (var seed = 0; seed < 50; seed++)
        {
            var random = new Random(seed);
            var filter = Filter();
            var output = new System.Text.StringBuilder();
            for (var at = 0; at < Reply.Length;)
            {
                var length = Math.Min(random.Next(1, 8), Reply.Length - at);
                output.Append(filter.Push(Reply.AsSpan(at, length)));
                at += length;
                Assert.True(filter.Held <= HoldBack, $"held {filter.Held}");
            }
            output.Append(filter.Flush());
            Assert.Equal(Expected, output.ToString());
        }
    }

    [Fact]
    public void Chinese_text_is_released_at_once_and_a_placeholder_is_held_only_until_it_is_complete()
    {
        var filter = Filter();
        Assert.Equal("你好，", filter.Push("你好，"));
        Assert.Equal("邮件", filter.Push("邮件<<PII_EM"));
        Assert.Equal("", filter.Push("AIL_1"));
        Assert.Equal("zhang.san@example.com。", filter.Push(">>。"));
        Assert.Equal(0, filter.Held);
    }

    [Fact]
    public void An_english_word_is_held_until_its_end_is_known()
    {
        var filter = Filter();
        Assert.Equal("hello ", filter.Push("hello wor"));
        Assert.Equal("world ", filter.Push("ld "));
    }

    [Fact]
    public void A_keywords_start_is_held_only_where_the_keyword_could_match()
    {
        var filter = Filter();
        // "project " inside "subproject " cannot begin "Project Falcon" (a letter before it): released at once.
        Assert.Equal("a subproject ", filter.Push("a subproject "));
        Assert.Equal(0, filter.Held);
        Assert.Equal("and ", filter.Push("and project "));
        Assert.Equal(8, filter.Held);
        Assert.Equal("project x", filter.Push("x") + filter.Flush());
    }

    [Fact]
    public void A_blocked_value_withholds_the_rest()
    {
        var policy = new CompiledPolicy("b", [PolicyRule.ForKeywords("falcon", ["Project Falcon"], PolicyAction.Block, PolicyAction.Block)], Scan.MaxBirthYear);
        var filter = new StreamTextFilter(policy, null, HoldBack);
        Assert.Equal("about ", filter.Push("about Project Fal"));
        Assert.Equal("", filter.Push("con and more"));
        Assert.Equal("falcon", filter.BlockedBy?.Id);
        Assert.Equal("", filter.Flush());
    }

    [Fact]
    public void A_private_key_is_masked_from_its_header_without_holding_its_body()
    {
        var filter = Filter();
        Assert.Equal("key ", filter.Push("key -----BEGIN PRIV"));
        // The header is complete: the mask goes out, the body never does, nothing is held.
        Assert.Equal("[PRIVATE_KEY]", filter.Push("ATE KEY-----\nMIIEvQ"));
        Assert.Equal("", filter.Push("IBADANBgkq\n"));
        Assert.Equal("", filter.Push(new string('A', 5000)));
        Assert.Equal("", filter.Push("\n-----END PRIV"));
        Assert.Equal(" ok", filter.Push("ATE KEY----- ok") + filter.Flush());
    }

    [Fact]
    public void Hold_back_is_bounded_for_an_endless_token()
    {
        var filter = new StreamTextFilter(Output, null, 64);
        var released = 0;
        for (var i = 0; i < 100; i++)
        {
            released += filter.Push("abcdefghij").Length;
            Assert.True(filter.Held <= 64);
        }
        Assert.Equal(1000, released + filter.Flush().Length);
    }

    [Fact]
    public void Restored_values_in_json_text_are_escaped()
    {
        var vault = new PseudonymVault();
        vault.Add("<<PII_KEYWORD_1>>", "say \"hi\"\n");
        var filter = new StreamTextFilter(null, vault, HoldBack, escapeForJson: true);
        Assert.Equal("{\"q\":\"say \\\"hi\\\"\\n\"}", filter.Apply("{\"q\":\"<<PII_KEYWORD_1>>\"}"));
    }

    [Fact]
    public void Without_a_vault_placeholders_stay_and_are_never_masked()
    {
        var policy = new CompiledPolicy("k", [PolicyRule.ForKeywords("k", ["email"], PolicyAction.None, PolicyAction.Mask)], Scan.MaxBirthYear);
        Assert.Equal("<<PII_EMAIL_1>> [KEYWORD]", new StreamTextFilter(policy, null, HoldBack).Apply("<<PII_EMAIL_1>> email"));
    }
}
