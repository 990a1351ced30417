using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Parley.Silo.Tests.Infrastructure;
using Xunit;
using static Parley.Silo.Tests.Policy.PolicyCalls;

namespace Parley.Silo.Tests.Policy;

/// <summary>Policies over a stored conversation: the transcript keeps placeholders and masks, so its context sent
/// upstream on later turns never carries the values; the client's values come back in every turn and in a replay; a
/// conversation that carried redacted data is never answered from the cache.</summary>
public sealed class PolicyConversationTests(PolicyFixture fixture) : IClassFixture<PolicyFixture>
{
    private const string Email = "li.si@example.cn";
    private const string Phone = "+86 139 1234 5678";

    private SiloHarness Harness => fixture.Harness;
    private HttpClient Client => fixture.Client;

    private async Task<string> NewConversationAsync()
    {
        using var response = await Client.PostAsync("v1/conversations", Http.Json("{}"));
        return (await response.ReadJsonAsync()).GetProperty("id").GetString()!;
    }

    private static Action<HttpRequestMessage> Turn(string conversation, string key)
        => request =>
        {
            request.Headers.Add("X-Parley-Conversation", conversation);
            request.Headers.Add("Idempotency-Key", key);
        };

    [Fact]
    public async Task Later_turns_send_the_stored_placeholders_upstream_and_the_client_always_reads_its_values()
    {
        var conversation = await NewConversationAsync();
        var first = $"我的邮箱是{Email}，电话{Phone}。";
        using (var response = await Client.PostChatAsync(Body(first), Turn(conversation, "t1")))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.StartsWith("Echo: " + first, await ReplyTextAsync(response, stream: false), StringComparison.Ordinal);
        }
        Assert.Contains("我的邮箱是<<PII_EMAIL_1>>，电话<<PII_PHONE_1>>。", Decoded(Harness.SimState.LastRequest!.Body), StringComparison.Ordinal);

        // Turn 2 (streamed) names the same address again and a new one: the same placeholder, and the next number.
        var second = $"Also cc {Email} and wang@example.cn please";
        using (var response = await Client.PostChatAsync(Body(second, stream: true), Turn(conversation, "t2")))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.StartsWith("Echo: " + second, await ReplyTextAsync(response, stream: true), StringComparison.Ordinal);
        }
        var upstream = Decoded(Harness.SimState.LastRequest!.Body);
        Assert.DoesNotContain(Email, upstream, StringComparison.Ordinal);
        Assert.DoesNotContain("139 1234 5678", upstream, StringComparison.Ordinal);
        Assert.DoesNotContain("wang@example.cn", upstream, StringComparison.Ordinal);
        // The context of turn 1 (the client's message and the stored answer) went up with placeholders only.
        Assert.Contains("我的邮箱是<<PII_EMAIL_1>>，电话<<PII_PHONE_1>>。", upstream, StringComparison.Ordinal);
        Assert.Contains("Echo: 我的邮箱是<<PII_EMAIL_1>>", upstream, StringComparison.Ordinal);
        Assert.Contains("Also cc <<PII_EMAIL_1>> and <<PII_EMAIL_2>> please", upstream, StringComparison.Ordinal);

        // The transcript holds placeholders (what the upstream saw), never the values.
        using var items = await Client.GetAsync($"v1/conversations/{conversation}/items?order=asc");
        var stored = await items.Content.ReadAsStringAsync();
        Assert.DoesNotContain(Email, stored, StringComparison.Ordinal);
        Assert.Contains("<<PII_EMAIL_1>>", stored, StringComparison.Ordinal);

        // A retried turn is answered from the transcript, with the client's values.
        using var replay = await Client.PostChatAsync(Body(first), Turn(conversation, "t1"));
        Assert.Equal("true", replay.Header("x-parley-replay"));
        Assert.StartsWith("Echo: " + first, await ReplyTextAsync(replay, stream: false), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_conversation_that_carried_redacted_data_is_never_answered_from_the_cache()
    {
        var conversation = await NewConversationAsync();
        using (var response = await Client.PostChatAsync(Body($"note {Email}"), Turn(conversation, "a")))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }
        var before = Harness.SimState.RequestsReceived;
        // Deterministic turns without personal data, twice with the same context: still never from the cache.
        for (var i = 0; i < 2; i++)
        {
            using var response = await Client.PostChatAsync(Body("plain words", extra: ",\"temperature\":0"), Turn(conversation, "b" + i));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("miss", response.Header("x-parley-cache"));
            Assert.Equal("0", response.Header("x-parley-policy-redacted"));
        }
        Assert.Equal(before + 2, Harness.SimState.RequestsReceived);
    }

    [Fact]
    public async Task Masked_values_are_stored_masked()
    {
        var conversation = await NewConversationAsync();
        using (var response = await Client.PostChatAsync(Body("card 4111 1111 1111 1111 please"), Turn(conversation, "m")))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            // Masked for good: the reply shows what the upstream saw.
            Assert.StartsWith("Echo: card **** **** **** 1111 please", await ReplyTextAsync(response, stream: false), StringComparison.Ordinal);
        }
        using var items = await Client.GetAsync($"v1/conversations/{conversation}/items?order=asc");
        var stored = await items.Content.ReadAsStringAsync();
        Assert.DoesNotContain("4111 1111 1111 1111", stored, StringComparison.Ordinal);
        Assert.Contains("card **** **** **** 1111 please", stored, StringComparison.Ordinal);
    }
}
