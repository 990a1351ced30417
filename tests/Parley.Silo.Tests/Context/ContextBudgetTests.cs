using System.Net;
using System.Text.Json;
using Parley.Silo.Tests.Infrastructure;
using Xunit;
using static Parley.Silo.Tests.Context.PromptTokenCountTests;

namespace Parley.Silo.Tests.Context;

/// <summary>Conversation prompts never exceed the budget. Here the summariser model is unreachable, so the fallback is
/// visible: the oldest turns are dropped whole and the response says how many.</summary>
public sealed class ContextBudgetTests : IAsyncLifetime
{
    public const string SmallModel = "small";
    private const int Window = 400;
    // The default reply reservation is capped at a quarter of the window.
    private const int Budget = Window - Window / 4;
    private SiloHarness _harness = null!;
    private HttpClient _client = null!;

    public async Task InitializeAsync()
    {
        _harness = await SiloHarness.StartAsync(cfg =>
        {
            cfg[$"Parley:Models:{SmallModel}:Provider"] = SiloHarness.ProviderName;
            cfg[$"Parley:Models:{SmallModel}:UpstreamModel"] = SiloHarness.UpstreamModel;
            cfg[$"Parley:Models:{SmallModel}:Encoding"] = "o200k_base";
            cfg[$"Parley:Models:{SmallModel}:ContextWindow"] = Window.ToString();
            cfg["Parley:Providers:unreachable:BaseUrl"] = "http://127.0.0.1:1/v1";
            cfg["Parley:Providers:unreachable:Resilience:FirstByteTimeout"] = "00:00:02";
            cfg["Parley:Providers:unreachable:Resilience:Retry:MaxRetries"] = "0";
            cfg["Parley:Models:unreachable-summarizer:Provider"] = "unreachable";
            cfg["Parley:Conversations:SummarizerModel"] = "unreachable-summarizer";
        }, sim =>
        {
            sim.ContextWindow = Window;
            sim.RecordedRequests = 1000;
        });
        var (_, key) = await _harness.CreateUserAsync("budget");
        _client = _harness.CreateClient(key);
    }

    public async Task DisposeAsync() => await _harness.DisposeAsync();

    [Fact]
    public async Task Old_turns_are_dropped_whole_and_the_newest_always_sent()
    {
        var id = await CreateConversationAsync(_client);
        var droppedSeen = 0;
        for (var turn = 0; turn < 14; turn++)
        {
            var text = $"Turn {turn}: " + string.Join(' ', Enumerable.Repeat("alpha beta gamma", 8));
            using var response = await SendTurnAsync(_client, id, text);
            var body = await response.ReadJsonAsync();
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);

            var promptTokens = int.Parse(Header(response, "x-parley-prompt-tokens")!);
            Assert.Equal(body.GetProperty("usage").GetProperty("prompt_tokens").GetInt32(), promptTokens);
            Assert.InRange(promptTokens, 1, Budget);
            Assert.Equal("none", Header(response, "x-parley-context-summary"));
            var dropped = int.Parse(Header(response, "x-parley-context-dropped")!);
            Assert.True(dropped >= droppedSeen, "a dropped message never comes back without a summary");
            Assert.Equal(0, dropped % 2); // whole turns: a user message and its reply
            droppedSeen = dropped;

            var sent = UpstreamMessages(_harness);
            Assert.Equal(text, sent[^1].GetProperty("content").GetString());
            Assert.Equal("user", sent[0].GetProperty("role").GetString());
            Assert.Equal(2 * turn - dropped + 1, sent.Count);
        }
        Assert.True(droppedSeen > 0);

        var items = await ConversationApiTestsAccess.ListAllItemsAsync(_client, id);
        Assert.Equal(28, items);
    }

    [Fact]
    public async Task A_newest_turn_that_cannot_fit_is_refused_with_context_length_exceeded()
    {
        var id = await CreateConversationAsync(_client, """{"system_prompt":"You answer in one word."}""");
        var before = _harness.SimState.RequestsReceived;

        using var response = await SendTurnAsync(_client, id, string.Join(' ', Enumerable.Repeat("word", Budget)));

        var error = await response.AssertErrorAsync(HttpStatusCode.BadRequest, "context_length_exceeded", "messages");
        Assert.Contains($"more than the {Budget} tokens a prompt for '{SmallModel}' may use", error.GetProperty("message").GetString());
        Assert.Equal(before, _harness.SimState.RequestsReceived);
        Assert.Equal(0, await ConversationApiTestsAccess.ListAllItemsAsync(_client, id));
    }

    [Fact]
    public async Task A_lower_max_tokens_leaves_more_room_for_context()
    {
        var id = await CreateConversationAsync(_client);
        for (var turn = 0; turn < 6; turn++)
        {
            using var response = await SendTurnAsync(_client, id, $"Turn {turn}: " + string.Join(' ', Enumerable.Repeat("delta", 40)), maxTokens: 10);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            // Budget = window - max_tokens: the prompt may use up to 390 tokens.
            Assert.InRange(int.Parse(Header(response, "x-parley-prompt-tokens")!), 1, Window - 10);
        }
        using var last = await SendTurnAsync(_client, id, "Last", maxTokens: 10);
        Assert.True(int.Parse(Header(last, "x-parley-prompt-tokens")!) > Budget, "a small reply reservation lets the context grow past the default budget");
    }

    internal static async Task<string> CreateConversationAsync(HttpClient client, string body = "{}")
    {
        using var response = await client.PostAsync("v1/conversations", Http.Json(body));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (await response.ReadJsonAsync()).GetProperty("id").GetString()!;
    }

    internal static Task<HttpResponseMessage> SendTurnAsync(HttpClient client, string conversationId, string text, int? maxTokens = null, string model = SmallModel)
    {
        var limit = maxTokens is { } m ? $",\"max_tokens\":{m}" : "";
        return client.PostChatAsync(
            $$"""{"model":"{{model}}","conversation":"{{conversationId}}","messages":[{"role":"user","content":{{JsonSerializer.Serialize(text)}}}]{{limit}}}""");
    }

    /// <summary>The messages of the last chat request the simulator received.</summary>
    internal static List<JsonElement> UpstreamMessages(SiloHarness harness)
    {
        var body = JsonDocument.Parse(harness.SimState.LastRequest!.Body).RootElement;
        return body.GetProperty("messages").EnumerateArray().Select(m => m.Clone()).ToList();
    }
}

/// <summary>Counts a conversation's items through the public API, following pages.</summary>
internal static class ConversationApiTestsAccess
{
    public static async Task<int> ListAllItemsAsync(HttpClient client, string conversationId)
    {
        var count = 0;
        string? after = null;
        while (true)
        {
            var path = $"v1/conversations/{conversationId}/items?limit=100&order=asc" + (after is null ? "" : $"&after={after}");
            using var response = await client.GetAsync(path);
            var page = await response.ReadJsonAsync();
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            count += page.GetProperty("data").GetArrayLength();
            if (!page.GetProperty("has_more").GetBoolean())
            {
                return count;
            }
            after = page.GetProperty("last_id").GetString();
        }
    }
}
