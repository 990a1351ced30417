using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using OpenAI.Chat;
using Parley.Silo.Tests.Infrastructure;
using Parley.Testing;
using Xunit;

namespace Parley.Silo.Tests.Chat;

/// <summary>The official OpenAI .NET SDK, unmodified except for its endpoint, as the client of a silo.</summary>
public sealed class OpenAISdkTests(SiloFixture fixture) : IClassFixture<SiloFixture>
{
    private SiloHarness Harness => fixture.Harness;

    private ChatClient Client(string model = SiloHarness.Model, string? key = null, params (string Name, string Value)[] headers)
        => OpenAISdk.ChatClient(new Uri(Harness.SiloUrl, "v1"), model, key ?? fixture.Key, headers);

    [Fact]
    public async Task CompleteChat_returns_the_simulated_answer()
    {
        ChatCompletion completion = await Client().CompleteChatAsync([new UserChatMessage("Hello from the SDK")]);

        Assert.Equal(ChatMessageRole.Assistant, completion.Role);
        Assert.False(string.IsNullOrWhiteSpace(completion.Content[0].Text));
        Assert.True(completion.Usage.TotalTokenCount > 0);
        Assert.Contains("\"content\":\"Hello from the SDK\"", Harness.SimState.LastRequest!.Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CompleteChatStreaming_yields_several_updates_that_add_up_to_the_answer()
    {
        var (updates, text) = await OpenAISdk.StreamAsync(Client(), "Stream please");

        Assert.True(updates >= 3, $"expected several updates, got {updates}");
        Assert.False(string.IsNullOrWhiteSpace(text));
    }

    [Fact]
    public async Task A_stored_conversation_is_continued_over_three_turns_with_only_the_new_message_sent()
    {
        using var created = await fixture.Client.PostAsync("v1/conversations", Http.Json("{}"));
        Assert.Equal(HttpStatusCode.OK, created.StatusCode);
        var conversationId = (await created.ReadJsonAsync()).GetProperty("id").GetString()!;
        var client = Client(headers: [(OpenAISdk.ConversationHeader, conversationId)]);

        ChatCompletion first = await client.CompleteChatAsync([new UserChatMessage("My name is Ada.")]);
        // The second turn is streamed: a streamed answer must be stored just like a non-streamed one.
        var (_, second) = await OpenAISdk.StreamAsync(client, "What is my name?");
        ChatCompletion third = await client.CompleteChatAsync([new UserChatMessage("Say it again.")]);

        Assert.False(string.IsNullOrEmpty(third.Content[0].Text));
        using var upstream = JsonDocument.Parse(Harness.SimState.LastRequest!.Body);
        var messages = upstream.RootElement.GetProperty("messages").EnumerateArray().ToList();
        Assert.Equal(["user", "assistant", "user", "assistant", "user"], messages.Select(m => m.GetProperty("role").GetString()));
        Assert.Equal("My name is Ada.", messages[0].GetProperty("content").GetString());
        Assert.Equal(first.Content[0].Text, messages[1].GetProperty("content").GetString());
        Assert.Equal("What is my name?", messages[2].GetProperty("content").GetString());
        Assert.Equal(second, messages[3].GetProperty("content").GetString());
        Assert.Equal("Say it again.", messages[4].GetProperty("content").GetString());
        Assert.False(upstream.RootElement.TryGetProperty("conversation", out _));
    }

    [Fact]
    public async Task The_conversation_can_be_named_in_the_body_and_is_not_sent_upstream()
    {
        using var created = await fixture.Client.PostAsync("v1/conversations", Http.Json("{}"));
        var conversationId = (await created.ReadJsonAsync()).GetProperty("id").GetString()!;

        using var first = await fixture.Client.PostChatAsync($$"""{"model":"parley-sim","conversation":"{{conversationId}}","messages":[{"role":"user","content":"one"}]}""");
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(conversationId, first.Header("x-parley-conversation"));
        var answer = (await first.ReadJsonAsync()).GetProperty("choices")[0].GetProperty("message");

        using var second = await fixture.Client.PostChatAsync($$$"""{"model":"parley-sim","messages":[{"role":"user","content":"two"}],"conversation":{"id":"{{{conversationId}}}"}}""");
        Assert.Equal(HttpStatusCode.OK, second.StatusCode);

        // The stored assistant message is the upstream's message object, verbatim.
        Assert.Equal(
            $$"""{"model":"sim-small","messages":[{"role":"user","content":"one"},{{answer.GetRawText()}},{"role":"user","content":"two"}]}""",
            Harness.SimState.LastRequest!.Body);
    }

    [Fact]
    public async Task An_unknown_model_surfaces_as_a_ClientResultException_with_status_404()
    {
        var error = await OpenAISdk.RefusalAsync(Client(model: "no-such-model"));

        Assert.Equal(404, error.Status);
        Assert.Contains("no-such-model", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_bad_key_surfaces_as_a_ClientResultException_with_status_401()
    {
        var error = await OpenAISdk.RefusalAsync(Client(key: "sk-parley-not-a-real-key"));

        Assert.Equal(401, error.Status);
    }
}
