using System.Text.Json;
using OpenAI.Chat;
using Parley.Cluster.Testing.Infrastructure;
using Parley.Testing;

namespace Parley.Cluster.Tests;

/// <summary>The official OpenAI .NET SDK, changed only in its endpoint, talking to the front end of a 3-silo
/// cluster: the front end is indistinguishable from a silo.</summary>
public sealed class FrontEndSdkTests(ClusterFixture fixture) : IClassFixture<ClusterFixture>
{
    private TestCluster Cluster => fixture.Cluster;

    private ChatClient Client(string model = TestCluster.Model, string? key = null, params (string Name, string Value)[] headers)
        => OpenAISdk.ChatClient(new Uri(Cluster.FrontEndUrl + "/v1"), model, key ?? fixture.Key, headers);

    [Fact]
    public async Task A_plain_completion_through_the_front_end()
    {
        ChatCompletion completion = await Client().CompleteChatAsync([new UserChatMessage("Hello through the front end")]);

        Assert.Equal(ChatMessageRole.Assistant, completion.Role);
        Assert.False(string.IsNullOrWhiteSpace(completion.Content[0].Text));
        Assert.True(completion.Usage.TotalTokenCount > 0);
        Assert.Contains("Hello through the front end", Cluster.Simulator.State.LastRequest!.Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_streamed_completion_through_the_front_end()
    {
        var (updates, text) = await OpenAISdk.StreamAsync(Client(), "Stream through the front end");

        Assert.True(updates >= 3, $"expected several streamed updates, got {updates}");
        Assert.False(string.IsNullOrWhiteSpace(text));
    }

    [Fact]
    public async Task A_stored_conversation_continued_over_three_turns_through_the_front_end()
    {
        var http = Cluster.Client(Cluster.FrontEndUrl, fixture.Key);
        var conversationId = await Http.CreateConversationAsync(http);
        var client = Client(headers: [(OpenAISdk.ConversationHeader, conversationId)]);

        ChatCompletion first = await client.CompleteChatAsync([new UserChatMessage("My name is Ada.")]);
        var (_, second) = await OpenAISdk.StreamAsync(client, "What is my name?");
        ChatCompletion third = await client.CompleteChatAsync([new UserChatMessage("Say it again.")]);

        // The upstream saw the whole conversation although the client sent only its new message each time.
        using var upstream = JsonDocument.Parse(Cluster.Simulator.State.LastRequest!.Body);
        var messages = upstream.RootElement.GetProperty("messages").EnumerateArray()
            .Select(m => (m.GetProperty("role").GetString(), m.GetProperty("content").GetString())).ToList();
        Assert.Equal(
            [("user", "My name is Ada."), ("assistant", first.Content[0].Text), ("user", "What is my name?"), ("assistant", second), ("user", "Say it again.")],
            messages);
        Assert.Equal(
            [("user", "My name is Ada."), ("assistant", first.Content[0].Text), ("user", "What is my name?"), ("assistant", second),
             ("user", "Say it again."), ("assistant", third.Content[0].Text)],
            await Http.ItemsAsync(http, conversationId));
    }

    [Fact]
    public async Task An_unknown_model_surfaces_as_a_404_ClientResultException()
    {
        var error = await OpenAISdk.RefusalAsync(Client(model: "no-such-model"));

        Assert.Equal(404, error.Status);
        Assert.Contains("no-such-model", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_bad_key_surfaces_as_a_401_ClientResultException()
    {
        var error = await OpenAISdk.RefusalAsync(Client(key: "sk-parley-not-a-real-key"));

        Assert.Equal(401, error.Status);
    }

    [Fact]
    public async Task A_conversation_continued_through_different_silos_keeps_every_turn()
    {
        var frontEnd = Cluster.Client(Cluster.FrontEndUrl, fixture.Key);
        var conversationId = await Http.CreateConversationAsync(frontEnd);
        var expected = new List<(string Role, string Text)>();

        // Each turn on another silo, then back to the first, whose activation last saw turn one only.
        var order = new[] { 0, 1, 2, 0 };
        for (var turn = 0; turn < order.Length; turn++)
        {
            var silo = Cluster.Client(Cluster.Silos[order[turn]].Url, fixture.Key);
            var text = $"turn {turn + 1} on silo {order[turn]}";
            var answer = await Http.TurnAsync(silo, conversationId, text);
            expected.Add(("user", text));
            expected.Add(("assistant", answer));
        }

        // The last upstream prompt carried every earlier turn.
        using var upstream = JsonDocument.Parse(Cluster.Simulator.State.LastRequest!.Body);
        Assert.Equal(expected.Take(expected.Count - 1),
            upstream.RootElement.GetProperty("messages").EnumerateArray().Select(m => (m.GetProperty("role").GetString()!, m.GetProperty("content").GetString()!)));
        Assert.Equal(expected, await Http.ItemsAsync(frontEnd, conversationId));
        foreach (var silo in Cluster.Silos)
        {
            Assert.Equal(expected, await Http.ItemsAsync(Cluster.Client(silo.Url, fixture.Key), conversationId));
        }
    }
}
