using System.Net;
using System.Text.Json;
using Parley.Silo.Tests.Infrastructure;
using Xunit;
using static Parley.Silo.Tests.Policy.PolicyCalls;

namespace Parley.Silo.Tests.Policy;

/// <summary>The policy on the Conversations API: a conversation's system prompt and the items a client adds are sent
/// upstream on every later turn, so they pass the same rules as a chat request: blocked values refuse the request
/// before anything is stored, masked and pseudonymised values are stored as masks and the conversation's own
/// placeholders, and the model the conversation names brings its policy too.</summary>
public sealed class PolicyConversationApiTests(PolicyFixture fixture) : IClassFixture<PolicyFixture>
{
    private const string Email = "li.si@example.cn";
    private const string Phone = "13800138000";

    private SiloHarness Harness => fixture.Harness;
    private HttpClient Client => fixture.Client;

    private async Task<JsonElement> ItemsAsync(string conversation)
    {
        using var response = await Client.GetAsync($"v1/conversations/{conversation}/items?order=asc");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (await response.ReadJsonAsync()).GetProperty("data");
    }

    private static string ItemText(JsonElement item) => item.GetProperty("content")[0].GetProperty("text").GetString()!;

    [Fact]
    public async Task A_system_prompt_and_items_are_stored_redacted_and_only_their_placeholders_go_upstream()
    {
        var create = JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["system_prompt"] = $"The customer's phone is {Phone}, card 4111 1111 1111 1111.",
            ["items"] = new[] { new Dictionary<string, string> { ["role"] = "user", ["content"] = $"my mail is {Email}" } },
        });
        using var created = await Client.PostAsync("v1/conversations", Http.Json(create));
        Assert.Equal(HttpStatusCode.OK, created.StatusCode);
        Assert.Equal("bank", created.Header("x-parley-policy"));
        Assert.Equal("3", created.Header("x-parley-policy-redacted"));
        var conversation = await created.ReadJsonAsync();
        var id = conversation.GetProperty("id").GetString()!;
        Assert.Equal("The customer's phone is <<PII_PHONE_1>>, card **** **** **** 1111.", conversation.GetProperty("system_prompt").GetString());
        Assert.Equal("my mail is <<PII_EMAIL_1>>", ItemText((await ItemsAsync(id))[0]));

        // Added items get the conversation's placeholders: the same value, the same placeholder.
        using (var added = await Client.PostAsync($"v1/conversations/{id}/items",
            Http.Json($$"""{"items":[{"role":"user","content":"again {{Email}} and {{Phone}}, or wang@example.cn"}]}""")))
        {
            Assert.Equal(HttpStatusCode.OK, added.StatusCode);
            Assert.Equal("3", added.Header("x-parley-policy-redacted"));
            Assert.Equal("again <<PII_EMAIL_1>> and <<PII_PHONE_1>>, or <<PII_EMAIL_2>>", ItemText((await added.ReadJsonAsync()).GetProperty("data")[0]));
        }

        // A new system prompt is redacted the same way.
        using (var updated = await Client.PostAsync($"v1/conversations/{id}", Http.Json($$"""{"system_prompt":"Call {{Phone}} first."}""")))
        {
            Assert.Equal(HttpStatusCode.OK, updated.StatusCode);
            Assert.Equal("Call <<PII_PHONE_1>> first.", (await updated.ReadJsonAsync()).GetProperty("system_prompt").GetString());
        }

        // A turn: the upstream gets the placeholders only; the client reads its own values.
        using var turn = await Client.PostChatAsync(Body("what now?"), request => request.Headers.Add("X-Parley-Conversation", id));
        Assert.Equal(HttpStatusCode.OK, turn.StatusCode);
        var upstream = Decoded(Harness.SimState.LastRequest!.Body);
        foreach (var value in new[] { Email, Phone, "wang@example.cn", "4111 1111 1111 1111" })
        {
            Assert.DoesNotContain(value, upstream, StringComparison.Ordinal);
        }
        Assert.Contains("Call <<PII_PHONE_1>> first.", upstream, StringComparison.Ordinal);
        Assert.Contains("again <<PII_EMAIL_1>> and <<PII_PHONE_1>>, or <<PII_EMAIL_2>>", upstream, StringComparison.Ordinal);
        Assert.StartsWith("Echo: what now?", await ReplyTextAsync(turn, stream: false), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_blocked_value_in_a_system_prompt_or_an_item_is_a_400_and_nothing_is_stored()
    {
        using (var refused = await Client.PostAsync("v1/conversations", Http.Json("""{"system_prompt":"use sk-proj-abc123DEF456ghi789JKLmno"}""")))
        {
            var error = await refused.AssertErrorAsync(HttpStatusCode.BadRequest, "policy_blocked:api-key", "system_prompt");
            Assert.DoesNotContain("sk-proj", error.GetProperty("message").GetString(), StringComparison.Ordinal);
            Assert.Equal("api-key", refused.Header("x-parley-policy-rule"));
        }

        using var created = await Client.PostAsync("v1/conversations", Http.Json("""{"items":[{"role":"user","content":"hello"}]}"""));
        var id = (await created.ReadJsonAsync()).GetProperty("id").GetString()!;
        using (var refused = await Client.PostAsync($"v1/conversations/{id}/items",
            Http.Json("""{"items":[{"role":"user","content":"fine"},{"role":"user","content":[{"type":"input_text","text":"a"},{"type":"input_text","text":"关于猎鹰计划"}]}]}""")))
        {
            await refused.AssertErrorAsync(HttpStatusCode.BadRequest, "policy_blocked:codename", "items[1].content[1]");
        }
        using (var refused = await Client.PostAsync($"v1/conversations/{id}",
            Http.Json("""{"system_prompt":"-----BEGIN PRIVATE KEY-----\nMIIBVQIBADANBgkqhkiG9w0BAQEFAASCAT8wggE7AgEAAkEAq7BFUpkGp3+XQmVz\n-----END PRIVATE KEY-----"}""")))
        {
            await refused.AssertErrorAsync(HttpStatusCode.BadRequest, "policy_blocked:private-key", "system_prompt");
        }

        var items = await ItemsAsync(id);
        Assert.Equal(1, items.GetArrayLength());
        Assert.Equal("hello", ItemText(items[0]));
        using var get = await Client.GetAsync($"v1/conversations/{id}");
        Assert.False((await get.ReadJsonAsync()).TryGetProperty("system_prompt", out _));
    }

    [Fact]
    public async Task The_model_a_conversation_names_brings_its_policy_to_its_items()
    {
        using var created = await Client.PostAsync("v1/conversations",
            Http.Json($$"""{"model":"{{SiloHarness.OtherModel}}","items":[{"role":"user","content":"this is confidential"}]}"""));
        Assert.Equal(HttpStatusCode.OK, created.StatusCode);
        Assert.Equal("bank+model-extra", created.Header("x-parley-policy"));
        var id = (await created.ReadJsonAsync()).GetProperty("id").GetString()!;
        Assert.Equal("this is [CONFIDENTIAL]", ItemText((await ItemsAsync(id))[0]));

        using var added = await Client.PostAsync($"v1/conversations/{id}/items", Http.Json("""{"items":[{"role":"user","content":"still confidential"}]}"""));
        Assert.Equal(HttpStatusCode.OK, added.StatusCode);
        Assert.Equal("still [CONFIDENTIAL]", ItemText((await added.ReadJsonAsync()).GetProperty("data")[0]));
    }
}
