using System.Net;
using System.Text.Json;
using Parley.Silo.Tests.Infrastructure;
using Parley.Testing;
using Xunit;

namespace Parley.Silo.Tests.Conversations;

/// <summary>A conversation turn is stored at most once per <c>Idempotency-Key</c>: a retry of a stored turn is answered
/// from the transcript in the shape it asks for (JSON or SSE), says so, costs no upstream call and no quota; a key reused
/// for other messages is refused; a retry while the first attempt still runs waits for it; without the header every
/// request is a turn of its own.</summary>
public sealed class IdempotentTurnTests : IAsyncLifetime
{
    private SiloHarness _harness = null!;
    private HttpClient _client = null!;
    private string _userId = "";

    public async Task InitializeAsync()
    {
        // Every answer takes a fifth of a second, so a second request can arrive while the first is in flight.
        _harness = await SiloHarness.StartAsync(configureSimulator: o => o.TimeToFirstToken = TimeSpan.FromMilliseconds(200));
        (_userId, var key) = await _harness.CreateUserAsync("idempotent");
        _client = _harness.CreateClient(key);
    }

    public async Task DisposeAsync() => await _harness.DisposeAsync();

    private async Task<string> NewConversationAsync()
        => (await ConversationApiTests.SendAsync(_client, HttpMethod.Post, "v1/conversations", "{}")).GetProperty("id").GetString()!;

    private Task<HttpResponseMessage> TurnAsync(string conversation, string text, string? key, bool stream = false, bool includeUsage = false)
        => _client.PostChatAsync(
            $$"""{"model":"{{SiloHarness.Model}}","conversation":"{{conversation}}","stream":{{(stream ? "true" : "false")}}{{(includeUsage ? ",\"stream_options\":{\"include_usage\":true}" : "")}},"messages":[{"role":"user","content":"{{text}}"}]}""",
            request =>
            {
                if (key is not null)
                {
                    request.Headers.TryAddWithoutValidation("Idempotency-Key", key);
                }
            });

    private async Task<List<(string Role, string Text)>> ItemsAsync(string conversation)
    {
        var page = await ConversationApiTests.SendAsync(_client, HttpMethod.Get, $"v1/conversations/{conversation}/items?order=asc&limit=100");
        return page.GetProperty("data").EnumerateArray()
            .Select(item => (item.GetProperty("role").GetString()!, item.GetProperty("content")[0].GetProperty("text").GetString()!)).ToList();
    }

    private static string Content(JsonElement completion) => completion.GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString()!;

    private static (string Text, List<JsonElement> Chunks) ReadStream(string body)
    {
        var events = Http.DataEvents(body);
        Assert.Equal("[DONE]", events[^1]);
        var chunks = events.SkipLast(1).Select(e => JsonDocument.Parse(e).RootElement.Clone()).ToList();
        var text = string.Concat(chunks.SelectMany(c => c.GetProperty("choices").EnumerateArray())
            .Select(c => c.TryGetProperty("delta", out var d) && d.TryGetProperty("content", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString() : ""));
        return (text, chunks);
    }

    [Fact]
    public async Task A_retried_turn_is_answered_from_the_transcript_once_stored()
    {
        var conversation = await NewConversationAsync();
        using var first = await TurnAsync(conversation, "Remember the number 7.", "turn-1");
        var original = await first.ReadJsonAsync();
        Assert.Null(first.Header("x-parley-replay"));
        var upstreamCalls = _harness.SimState.RequestsReceived;

        using var retry = await TurnAsync(conversation, "Remember the number 7.", "turn-1");

        Assert.Equal(HttpStatusCode.OK, retry.StatusCode);
        Assert.Equal("true", retry.Header("x-parley-replay"));
        Assert.Equal(conversation, retry.Header("x-parley-conversation"));
        var replayed = await retry.ReadJsonAsync();
        Assert.Equal(original.GetProperty("id").GetString(), replayed.GetProperty("id").GetString());
        Assert.Equal(original.GetProperty("created").GetInt64(), replayed.GetProperty("created").GetInt64());
        Assert.Equal(Content(original), Content(replayed));
        Assert.Equal(original.GetProperty("usage").GetRawText(), replayed.GetProperty("usage").GetRawText());
        Assert.Equal("stop", replayed.GetProperty("choices")[0].GetProperty("finish_reason").GetString());
        Assert.Equal(upstreamCalls, _harness.SimState.RequestsReceived);
        Assert.Equal([("user", "Remember the number 7."), ("assistant", Content(original))], await ItemsAsync(conversation));
    }

    [Fact]
    public async Task A_replay_takes_the_shape_the_retry_asks_for()
    {
        var conversation = await NewConversationAsync();
        using var streamed = await TurnAsync(conversation, "Stream this.", "turn-s", stream: true, includeUsage: true);
        var (streamedText, streamedChunks) = ReadStream(await streamed.Content.ReadAsStringAsync());
        var usage = streamedChunks[^1].GetProperty("usage").GetRawText();

        using var asStream = await TurnAsync(conversation, "Stream this.", "turn-s", stream: true, includeUsage: true);
        using var asJson = await TurnAsync(conversation, "Stream this.", "turn-s");

        Assert.Equal("true", asStream.Header("x-parley-replay"));
        Assert.Equal("text/event-stream", asStream.ContentType()?.MediaType);
        var (replayedText, replayedChunks) = ReadStream(await asStream.Content.ReadAsStringAsync());
        Assert.Equal(streamedText, replayedText);
        Assert.Equal(streamedChunks[0].GetProperty("id").GetString(), replayedChunks[0].GetProperty("id").GetString());
        Assert.Equal(usage, replayedChunks[^1].GetProperty("usage").GetRawText());
        Assert.Equal("stop", replayedChunks.SelectMany(c => c.GetProperty("choices").EnumerateArray())
            .Select(c => c.GetProperty("finish_reason")).Last(f => f.ValueKind == JsonValueKind.String).GetString());

        Assert.Equal("true", asJson.Header("x-parley-replay"));
        Assert.Equal(streamedText, Content(await asJson.ReadJsonAsync()));
        Assert.Equal(2, (await ItemsAsync(conversation)).Count);
    }

    [Fact]
    public async Task Replays_are_not_charged_against_quotas()
    {
        var admin = _harness.CreateClient(_harness.AdminKey);
        (await admin.PutAsync($"admin/users/{_userId}/limits", Http.Json("""{"requests_per_minute":3}"""))).EnsureSuccessStatusCode();
        var conversation = await NewConversationAsync();
        using (var first = await TurnAsync(conversation, "Count me once.", "turn-q"))
        {
            Assert.Equal("2", first.Header("x-ratelimit-remaining-requests"));
        }
        var usage = (await ConversationApiTests.SendAsync(_client, HttpMethod.Get, "v1/usage")).GetRawText();

        for (var i = 0; i < 5; i++)
        {
            using var replay = await TurnAsync(conversation, "Count me once.", "turn-q");
            Assert.Equal(HttpStatusCode.OK, replay.StatusCode);
            Assert.Equal("true", replay.Header("x-parley-replay"));
        }

        Assert.Equal(usage, (await ConversationApiTests.SendAsync(_client, HttpMethod.Get, "v1/usage")).GetRawText());
        using var next = await TurnAsync(conversation, "A new turn.", "turn-q2");
        Assert.Equal("1", next.Header("x-ratelimit-remaining-requests"));
    }

    [Fact]
    public async Task A_key_reused_for_other_messages_is_refused_and_stores_nothing()
    {
        var conversation = await NewConversationAsync();
        (await TurnAsync(conversation, "First.", "turn-r")).Dispose();

        using var reused = await TurnAsync(conversation, "Something else.", "turn-r");

        await reused.AssertErrorAsync(HttpStatusCode.UnprocessableEntity, "idempotency_key_reused");
        Assert.Equal(2, (await ItemsAsync(conversation)).Count);
    }

    [Theory]
    [InlineData("")]
    [InlineData("has space inside")]
    [InlineData("tab\there")]
    public async Task A_malformed_key_is_400(string key)
    {
        var conversation = await NewConversationAsync();
        using var response = await TurnAsync(conversation, "Hi.", key);
        await response.AssertErrorAsync(HttpStatusCode.BadRequest, "invalid_idempotency_key");
    }

    [Fact]
    public async Task A_key_of_256_characters_is_400_and_one_of_255_is_taken_quoted_or_not()
    {
        var conversation = await NewConversationAsync();
        using (var tooLong = await TurnAsync(conversation, "Hi.", new string('k', 256)))
        {
            await tooLong.AssertErrorAsync(HttpStatusCode.BadRequest, "invalid_idempotency_key");
        }
        var key = new string('k', 255);
        using (var bare = await TurnAsync(conversation, "Hi.", key))
        {
            Assert.Equal(HttpStatusCode.OK, bare.StatusCode);
        }
        using var quoted = await TurnAsync(conversation, "Hi.", $"\"{key}\"");
        Assert.Equal("true", quoted.Header("x-parley-replay"));
    }

    [Fact]
    public async Task Without_the_header_the_same_request_twice_is_two_turns()
    {
        var conversation = await NewConversationAsync();
        (await TurnAsync(conversation, "Again.", key: null)).Dispose();
        using var second = await TurnAsync(conversation, "Again.", key: null);

        Assert.Null(second.Header("x-parley-replay"));
        Assert.Equal(4, (await ItemsAsync(conversation)).Count);
    }

    [Fact]
    public async Task A_retry_while_the_first_attempt_runs_waits_for_it_and_gets_its_answer()
    {
        var conversation = await NewConversationAsync();
        var upstreamCalls = _harness.SimState.RequestsReceived;

        var first = TurnAsync(conversation, "Slow one.", "turn-w");
        await Poll.UntilAsync(() => _harness.SimState.InFlight == 1, "the first attempt is at the upstream", TimeSpan.FromSeconds(10));
        using var retry = await TurnAsync(conversation, "Slow one.", "turn-w");
        using var original = await first;

        Assert.Equal("true", retry.Header("x-parley-replay"));
        Assert.Equal(Content(await original.ReadJsonAsync()), Content(await retry.ReadJsonAsync()));
        Assert.Equal(upstreamCalls + 1, _harness.SimState.RequestsReceived);
        Assert.Equal(2, (await ItemsAsync(conversation)).Count);
    }

    [Fact]
    public async Task A_turn_whose_upstream_failed_frees_its_key_for_the_retry()
    {
        var conversation = await NewConversationAsync();
        using (var failed = await _client.PostChatAsync(
                   $$"""{"model":"{{SiloHarness.Model}}","conversation":"{{conversation}}","messages":[{"role":"user","content":"Try again."}]}""",
                   request =>
                   {
                       request.Headers.Add("Idempotency-Key", "turn-f");
                       request.Headers.Add(Parley.Sim.Faults.SimHeaders.Fault, "500");
                   }))
        {
            Assert.Equal(HttpStatusCode.BadGateway, failed.StatusCode);
        }

        using var retry = await TurnAsync(conversation, "Try again.", "turn-f");

        Assert.Equal(HttpStatusCode.OK, retry.StatusCode);
        Assert.Null(retry.Header("x-parley-replay"));
        Assert.Equal(2, (await ItemsAsync(conversation)).Count);
    }
}
