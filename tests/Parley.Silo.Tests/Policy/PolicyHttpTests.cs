using System.Net;
using System.Text.Json;
using Parley.Silo.Tests.Infrastructure;
using Parley.Tokenizer;
using Xunit;
using static Parley.Silo.Tests.Policy.PolicyCalls;

namespace Parley.Silo.Tests.Policy;

/// <summary>The PII and keyword policy end to end: a real silo in front of the simulator, which echoes the last user
/// message, so what the upstream saw comes back in the reply. Asserts on the simulator's request log (what left the
/// gateway) and on what the client got.</summary>
public sealed class PolicyHttpTests(PolicyFixture fixture) : IClassFixture<PolicyFixture>
{
    private const string Email = "zhang.san@example.com";
    private const string Phone = "13800138000";
    private const string Card = "4111 1111 1111 1111";
    private const string ResidentId = "11010519491231002X";

    private SiloHarness Harness => fixture.Harness;
    private HttpClient Client => fixture.Client;

    private static void NoRawValues(string upstreamBody, params string[] values)
    {
        var decoded = Decoded(upstreamBody);
        foreach (var value in values)
        {
            Assert.DoesNotContain(value, decoded, StringComparison.Ordinal);
        }
    }

    private string LastUpstream() => Harness.SimState.LastRequest!.Body;

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Pseudonymised_values_never_reach_the_upstream_and_the_client_gets_its_own_back(bool stream)
    {
        var message = $"我是张三，邮箱{Email}，手机{Phone}。Please write to {Email} today.";
        using var response = await Client.PostChatAsync(Body(message, stream));
        var reply = await ReplyTextAsync(response, stream);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var upstream = LastUpstream();
        NoRawValues(upstream, Email, Phone);
        Assert.Contains("我是张三，邮箱<<PII_EMAIL_1>>，手机<<PII_PHONE_1>>。Please write to <<PII_EMAIL_1>> today.", Decoded(upstream), StringComparison.Ordinal);
        // The simulator echoed the placeholders (each several tokens, so streamed over several chunks); the client reads its values.
        Assert.True(TiktokenEncoding.O200kBase.CountTokens("<<PII_EMAIL_1>>") > 3);
        Assert.StartsWith("Echo: " + message + " lorem", reply, StringComparison.Ordinal);
        Assert.DoesNotContain("<<PII", reply, StringComparison.Ordinal);
        Assert.Equal("bank", response.Header("x-parley-policy"));
        Assert.Equal("3", response.Header("x-parley-policy-redacted"));
        Assert.Null(response.Header("x-parley-policy-flagged"));
    }

    [Fact]
    public async Task Masked_values_in_content_parts_and_tool_call_arguments_never_reach_the_upstream()
    {
        var body = $$$"""
            {"model":"{{{SiloHarness.Model}}}","messages":[
              {"role":"user","content":[{"type":"text","text":"身份证{{{ResidentId}}}"},{"type":"text","text":"card {{{Card}}} ok"}]},
              {"role":"assistant","content":null,"tool_calls":[{"id":"call_1","type":"function","function":{"name":"lookup","arguments":"{\"card\":\"{{{Card}}}\",\"email\":\"{{{Email}}}\"}"}}]},
              {"role":"tool","tool_call_id":"call_1","content":"owner phone {{{Phone}}}"},
              {"role":"user","content":"thanks"}]}
            """;
        using var response = await Client.PostChatAsync(body);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var upstream = LastUpstream();
        NoRawValues(upstream, ResidentId, Card, Email, Phone, "4111111111111111");
        var sent = JsonDocument.Parse(upstream).RootElement.GetProperty("messages");
        Assert.Equal("身份证[CN_ID]", sent[0].GetProperty("content")[0].GetProperty("text").GetString());
        Assert.Equal("card **** **** **** 1111 ok", sent[0].GetProperty("content")[1].GetProperty("text").GetString());
        Assert.Equal("{\"card\":\"**** **** **** 1111\",\"email\":\"<<PII_EMAIL_1>>\"}",
            sent[1].GetProperty("tool_calls")[0].GetProperty("function").GetProperty("arguments").GetString());
        Assert.Equal("owner phone <<PII_PHONE_1>>", sent[2].GetProperty("content").GetString());
        Assert.Equal("call_1", sent[2].GetProperty("tool_call_id").GetString());
        Assert.Equal("5", response.Header("x-parley-policy-redacted"));
    }

    [Theory]
    [InlineData("my key is sk-proj-abc123DEF456ghi789JKLmno", "api-key", "messages[0].content")]
    [InlineData("关于猎鹰计划的进展", "codename", "messages[0].content")]
    [InlineData("about PROJECT falcon", "codename", "messages[0].content")]
    [InlineData("about ＰＲＯＪＥＣＴ　ＦＡＬＣＯＮ", "codename", "messages[0].content")]
    public async Task A_blocked_value_is_a_400_naming_the_rule_and_nothing_goes_upstream(string content, string rule, string param)
    {
        var before = Harness.SimState.RequestsReceived;
        using var response = await Client.PostChatAsync(Body(content));

        var error = await response.AssertErrorAsync(HttpStatusCode.BadRequest, "policy_blocked:" + rule, param);
        Assert.Contains($"rule '{rule}'", error.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.DoesNotContain("sk-proj", error.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Equal(rule, response.Header("x-parley-policy-rule"));
        Assert.Equal(before, Harness.SimState.RequestsReceived);
    }

    [Fact]
    public async Task Secrets_in_tool_call_arguments_are_blocked_with_their_place()
    {
        const string Body = """
            {"model":"parley-sim","messages":[{"role":"user","content":"deploy"},
              {"role":"assistant","tool_calls":[{"id":"c1","type":"function","function":{"name":"a","arguments":"{}"}},{"id":"c2","type":"function","function":{"name":"b","arguments":"{\"id\":\"AKIAIOSFODNN7EXAMPLE\"}"}}]},
              {"role":"tool","tool_call_id":"c1","content":"ok"},{"role":"tool","tool_call_id":"c2","content":"ok"}]}
            """;
        using var response = await Client.PostChatAsync(Body);
        await response.AssertErrorAsync(HttpStatusCode.BadRequest, "policy_blocked:aws-key", "messages[1].tool_calls[1].function.arguments");
        Assert.Equal("aws-key", response.Header("x-parley-policy-rule"));
    }

    [Fact]
    public async Task A_flag_changes_nothing_and_says_so_in_a_header()
    {
        const string Message = "server 10.20.30.40 is down";
        using var response = await Client.PostChatAsync(Body(Message));
        var reply = await ReplyTextAsync(response, stream: false);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("ip", response.Header("x-parley-policy-flagged"));
        Assert.Equal("0", response.Header("x-parley-policy-redacted"));
        Assert.Contains(Message, Decoded(LastUpstream()), StringComparison.Ordinal);
        Assert.StartsWith("Echo: " + Message, reply, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Output_rules_mask_what_the_model_says_even_split_over_chunks(bool stream)
    {
        var (userId, key) = await Harness.CreateUserAsync("lenient-" + stream);
        var admin = Harness.CreateClient(Harness.AdminKey);
        await PutPolicyAsync(admin, $"admin/users/{userId}/policy", "lenient");
        var client = Harness.CreateClient(key);

        var message = $"mail {Email} and ops@example.org now";
        using var response = await client.PostChatAsync(Body(message, stream));
        var reply = await ReplyTextAsync(response, stream);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("lenient", response.Header("x-parley-policy"));
        Assert.Equal("email-seen", response.Header("x-parley-policy-flagged"));
        // Flagged on the way up: the upstream saw the addresses; masked in what the client reads.
        Assert.Contains(Email, Decoded(LastUpstream()), StringComparison.Ordinal);
        Assert.StartsWith("Echo: mail [EMAIL] and [EMAIL] now lorem", reply, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_reply_a_rule_withholds_is_refused_or_ends_with_an_error_event(bool stream)
    {
        var (userId, key) = await Harness.CreateUserAsync("withheld-" + stream);
        await PutPolicyAsync(Harness.CreateClient(Harness.AdminKey), $"admin/users/{userId}/policy", "lenient");
        var client = Harness.CreateClient(key);

        using var response = await client.PostChatAsync(Body("tell me about Project Falcon please", stream));
        if (!stream)
        {
            await response.AssertErrorAsync(HttpStatusCode.BadRequest, "policy_blocked:codename-out");
            Assert.Equal("codename-out", response.Header("x-parley-policy-rule"));
            return;
        }
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var events = Http.DataEvents(await response.Content.ReadAsStringAsync());
        Assert.DoesNotContain("[DONE]", events);
        var error = JsonDocument.Parse(events[^1]).RootElement.GetProperty("error");
        Assert.Equal("policy_blocked:codename-out", error.GetProperty("code").GetString());
        var sent = string.Concat(events.SkipLast(1).Select(e => JsonDocument.Parse(e).RootElement.GetProperty("choices")[0].GetProperty("delta"))
            .Where(d => d.TryGetProperty("content", out _)).Select(d => d.GetProperty("content").GetString()));
        Assert.Equal("Echo: tell me about ", sent);
    }

    [Fact]
    public async Task Policies_are_chosen_per_user_per_key_and_per_model()
    {
        var admin = Harness.CreateClient(Harness.AdminKey);
        var (userId, userKey) = await Harness.CreateUserAsync("chooser");
        using var created = await admin.PostAsync($"admin/users/{userId}/keys", Http.Json("{\"name\":\"second\"}"));
        var second = await created.ReadJsonAsync();
        var (secondId, secondKey) = (second.GetProperty("id").GetString()!, second.GetProperty("key").GetString()!);

        // The default applies until the user gets its own; a key's own wins over the user's.
        Assert.Equal("bank", await PolicyOfAsync(userKey));
        Assert.Contains("\"effective\":\"lenient\"", await PutPolicyAsync(admin, $"admin/users/{userId}/policy", "lenient"), StringComparison.Ordinal);
        Assert.Equal("lenient", await PolicyOfAsync(userKey));
        Assert.Contains(Email, Decoded(LastUpstream()), StringComparison.Ordinal);
        await PutPolicyAsync(admin, $"admin/keys/{secondId}/policy", "bank");
        Assert.Equal("bank", await PolicyOfAsync(secondKey));
        NoRawValues(LastUpstream(), Email);
        Assert.Equal("lenient", await PolicyOfAsync(userKey));
        // Cleared: back to the default.
        await PutPolicyAsync(admin, $"admin/users/{userId}/policy", null);
        Assert.Equal("bank", await PolicyOfAsync(userKey));

        // The model's policy joins the caller's.
        using var other = await Client.PostChatAsync(Body($"confidential: {Email}", model: SiloHarness.OtherModel));
        Assert.Equal(HttpStatusCode.OK, other.StatusCode);
        Assert.Equal("bank+model-extra", other.Header("x-parley-policy"));
        Assert.Contains("[CONFIDENTIAL]: <<PII_EMAIL_1>>", Decoded(LastUpstream()), StringComparison.Ordinal);

        async Task<string?> PolicyOfAsync(string key)
        {
            using var response = await Harness.CreateClient(key).PostChatAsync(Body($"hi {Email}"));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            return response.Header("x-parley-policy");
        }
    }

    [Fact]
    public async Task The_admin_api_lists_policies_and_refuses_unknown_ones()
    {
        var admin = Harness.CreateClient(Harness.AdminKey);
        using var list = await admin.GetAsync("admin/policies");
        var policies = await list.ReadJsonAsync();
        Assert.Equal(["bank", "lenient", "model-extra"], policies.GetProperty("data").EnumerateArray().Select(p => p.GetProperty("name").GetString()));
        Assert.Equal("bank", policies.GetProperty("default").GetString());
        var codename = policies.GetProperty("data")[0].GetProperty("rules").EnumerateArray().Single(r => r.GetProperty("id").GetString() == "codename");
        Assert.Equal(2, codename.GetProperty("keywords").GetInt32());

        using var unknown = await admin.PutAsync($"admin/users/{fixture.UserId}/policy", Http.Json("{\"policy\":\"nope\"}"));
        await unknown.AssertErrorAsync(HttpStatusCode.BadRequest, "invalid_value", "policy");
        using var missing = await admin.PutAsync($"admin/users/{fixture.UserId}/policy", Http.Json("{}"));
        await missing.AssertErrorAsync(HttpStatusCode.BadRequest, "missing_required_parameter", "policy");
        using var noUser = await admin.PutAsync("admin/users/user_nobody/policy", Http.Json("{\"policy\":\"bank\"}"));
        await noUser.AssertErrorAsync(HttpStatusCode.NotFound, "user_not_found");
        using var noKey = await admin.PutAsync("admin/keys/key_nobody/policy", Http.Json("{\"policy\":\"bank\"}"));
        await noKey.AssertErrorAsync(HttpStatusCode.NotFound, "key_not_found");
        using var asUser = await Client.GetAsync("admin/policies");
        Assert.Equal(HttpStatusCode.Forbidden, asUser.StatusCode);
    }

    [Fact]
    public async Task A_request_with_redacted_data_is_never_cached_and_one_without_is()
    {
        var unique = Guid.NewGuid().ToString("N");
        var before = Harness.SimState.RequestsReceived;
        var redacted = Body($"{unique} mail {Email}", extra: ",\"temperature\":0");
        using (var first = await Client.PostChatAsync(redacted))
        using (var second = await Client.PostChatAsync(redacted))
        {
            Assert.Equal("miss", first.Header("x-parley-cache"));
            Assert.Equal("miss", second.Header("x-parley-cache"));
            Assert.StartsWith($"Echo: {unique} mail {Email}", await ReplyTextAsync(second, stream: false), StringComparison.Ordinal);
        }
        Assert.Equal(before + 2, Harness.SimState.RequestsReceived);

        var plain = Body($"{unique} plain", extra: ",\"temperature\":0");
        using (var first = await Client.PostChatAsync(plain))
        using (var second = await Client.PostChatAsync(plain))
        {
            Assert.Equal("miss", first.Header("x-parley-cache"));
            Assert.Equal("hit", second.Header("x-parley-cache"));
        }
        Assert.Equal(before + 3, Harness.SimState.RequestsReceived);
    }
}
