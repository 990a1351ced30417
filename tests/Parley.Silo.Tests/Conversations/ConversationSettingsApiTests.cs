using System.Net;
using System.Text.Json;
using Parley.Silo.Tests.Infrastructure;
using Xunit;
using static Parley.Silo.Tests.Conversations.ConversationApiTests;

namespace Parley.Silo.Tests.Conversations;

/// <summary>Parley's conversation settings (model, pinned system prompt, max_context_tokens) through real HTTP, and the
/// operator's view of the working context. The summariser is unreachable, so a context over budget drops old turns
/// and no background summary call reaches the simulator.</summary>
public sealed class ConversationSettingsApiTests(ConversationSettingsApiTests.Fixture fixture) : IClassFixture<ConversationSettingsApiTests.Fixture>
{
    // Token counts under o200k_base: a message is 3 framing tokens + its role (1) + its content; a prompt adds 3.
    private const string SystemPrompt = "Be brief.";
    private const int SystemPromptTokens = 3 + 1 + 3;
    private const string FirstText = "Hello there";
    private const int FirstTextTokens = 3 + 1 + 2;
    private const string SecondText = "Hi";
    private const int SecondTextTokens = 3 + 1 + 1;
    // The simulator answers with exactly its configured response length (20 tokens by default).
    private const int ReplyTokens = 3 + 1 + 20;
    private const int ReplyPriming = 3;
    private const string TooLongMarker = "TOO-LONG";

    public sealed class Fixture : SiloFixture
    {
        protected override void Configure(IDictionary<string, string?> settings)
        {
            settings[$"Parley:Models:{SiloHarness.Model}:Encoding"] = "o200k_base";
            settings["Parley:Providers:unreachable:BaseUrl"] = "http://127.0.0.1:1/v1";
            settings["Parley:Providers:unreachable:Resilience:FirstByteTimeout"] = "00:00:02";
            settings["Parley:Providers:unreachable:Resilience:Retry:MaxRetries"] = "0";
            settings["Parley:Models:unreachable-summarizer:Provider"] = "unreachable";
            settings["Parley:Conversations:SummarizerModel"] = "unreachable-summarizer";
        }
    }

    private SiloHarness Harness => fixture.Harness;
    private HttpClient Client => fixture.Client;

    [Fact]
    public async Task Settings_are_echoed_on_create_and_read_and_absent_when_unset()
    {
        var created = await SendAsync(Client, HttpMethod.Post, "v1/conversations",
            """{"model":"parley-sim","system_prompt":"You are a pirate.","max_context_tokens":500,"metadata":{"k":"v"}}""");
        var id = created.GetProperty("id").GetString()!;
        var createdAt = created.GetProperty("created_at").GetInt64();
        Assert.Equal(
            $$"""{"id":"{{id}}","object":"conversation","created_at":{{createdAt}},"metadata":{"k":"v"},"model":"parley-sim","system_prompt":"You are a pirate.","max_context_tokens":500}""",
            created.GetRawText());
        Assert.Equal(created.GetRawText(), (await SendAsync(Client, HttpMethod.Get, $"v1/conversations/{id}")).GetRawText());

        var plain = await SendAsync(Client, HttpMethod.Post, "v1/conversations", "{}");
        Assert.Equal(new[] { "id", "object", "created_at", "metadata" }, plain.EnumerateObject().Select(p => p.Name));
        var plainId = plain.GetProperty("id").GetString()!;
        Assert.Equal(plain.GetRawText(), (await SendAsync(Client, HttpMethod.Get, $"v1/conversations/{plainId}")).GetRawText());
    }

    [Fact]
    public async Task The_limits_of_max_context_tokens_are_accepted()
    {
        var low = await SendAsync(Client, HttpMethod.Post, "v1/conversations", """{"max_context_tokens":16}""");
        Assert.Equal(16, low.GetProperty("max_context_tokens").GetInt32());
        var high = await SendAsync(Client, HttpMethod.Post, "v1/conversations", """{"max_context_tokens":10000000}""");
        Assert.Equal(10_000_000, high.GetProperty("max_context_tokens").GetInt32());
    }

    public static TheoryData<string, string, string> BadSettings => new()
    {
        { """{"model":5}""", "model", "invalid_type" },
        { """{"model":"no-such-model"}""", "model", "invalid_value" },
        { """{"system_prompt":""}""", "system_prompt", "invalid_value" },
        { """{"system_prompt":7}""", "system_prompt", "invalid_type" },
        { """{"system_prompt":["a"]}""", "system_prompt", "invalid_type" },
        { $$"""{"system_prompt":"{{TooLongMarker}}"}""", "system_prompt", "invalid_value" },
        { """{"max_context_tokens":15}""", "max_context_tokens", "invalid_value" },
        { """{"max_context_tokens":10000001}""", "max_context_tokens", "invalid_value" },
        { """{"max_context_tokens":1.5}""", "max_context_tokens", "invalid_type" },
        { """{"max_context_tokens":"x"}""", "max_context_tokens", "invalid_type" },
    };

    [Theory]
    [MemberData(nameof(BadSettings))]
    public async Task Bad_settings_are_400_with_the_parameter_on_create_and_update(string body, string param, string code)
    {
        // Built here rather than in the data, which would put 256 KB into the test's name.
        body = body.Replace(TooLongMarker, new string('x', 256 * 1024 + 1), StringComparison.Ordinal);
        using (var create = await Client.PostAsync("v1/conversations", Http.Json(body)))
        {
            await create.AssertErrorAsync(HttpStatusCode.BadRequest, code, param);
        }

        var existing = await SendAsync(Client, HttpMethod.Post, "v1/conversations", """{"system_prompt":"Keep me.","max_context_tokens":100}""");
        var id = existing.GetProperty("id").GetString()!;
        using (var update = await Client.PostAsync($"v1/conversations/{id}", Http.Json(body)))
        {
            await update.AssertErrorAsync(HttpStatusCode.BadRequest, code, param);
        }
        Assert.Equal(existing.GetRawText(), (await SendAsync(Client, HttpMethod.Get, $"v1/conversations/{id}")).GetRawText());
    }

    [Fact]
    public async Task An_update_changes_only_the_settings_it_names()
    {
        var created = await SendAsync(Client, HttpMethod.Post, "v1/conversations",
            """{"system_prompt":"old","max_context_tokens":300,"metadata":{"topic":"demo"}}""");
        var id = created.GetProperty("id").GetString()!;
        var createdAt = created.GetProperty("created_at").GetInt64();

        var prompt = await SendAsync(Client, HttpMethod.Post, $"v1/conversations/{id}", """{"system_prompt":"new"}""");
        Assert.Equal(
            $$"""{"id":"{{id}}","object":"conversation","created_at":{{createdAt}},"metadata":{"topic":"demo"},"system_prompt":"new","max_context_tokens":300}""",
            prompt.GetRawText());

        var model = await SendAsync(Client, HttpMethod.Post, $"v1/conversations/{id}", """{"model":"sim-large","max_context_tokens":200}""");
        Assert.Equal(
            $$"""{"id":"{{id}}","object":"conversation","created_at":{{createdAt}},"metadata":{"topic":"demo"},"model":"sim-large","system_prompt":"new","max_context_tokens":200}""",
            model.GetRawText());

        var metadata = await SendAsync(Client, HttpMethod.Post, $"v1/conversations/{id}", """{"metadata":{"topic":"other"}}""");
        Assert.Equal(
            $$"""{"id":"{{id}}","object":"conversation","created_at":{{createdAt}},"metadata":{"topic":"other"},"model":"sim-large","system_prompt":"new","max_context_tokens":200}""",
            metadata.GetRawText());
        Assert.Equal(metadata.GetRawText(), (await SendAsync(Client, HttpMethod.Get, $"v1/conversations/{id}")).GetRawText());

        using var empty = await Client.PostAsync($"v1/conversations/{id}", Http.Json("{}"));
        await empty.AssertErrorAsync(HttpStatusCode.BadRequest, "missing_required_parameter", "metadata");
        using var none = await Client.PostAsync($"v1/conversations/{id}", null);
        await none.AssertErrorAsync(HttpStatusCode.BadRequest, "missing_required_parameter", "metadata");
        Assert.Equal(metadata.GetRawText(), (await SendAsync(Client, HttpMethod.Get, $"v1/conversations/{id}")).GetRawText());
    }

    [Fact]
    public async Task The_pinned_system_prompt_heads_every_prompt_and_max_context_tokens_lowers_the_budget()
    {
        const int Budget = 60;
        var id = (await SendAsync(Client, HttpMethod.Post, "v1/conversations",
            $$"""{"system_prompt":"{{SystemPrompt}}","max_context_tokens":{{Budget}}}""")).GetProperty("id").GetString()!;
        var lastDropped = 0;
        for (var turn = 0; turn < 4; turn++)
        {
            var text = $"Turn {turn}: alpha beta gamma";
            using var response = await SendTurnAsync(id, text);
            var body = await response.ReadJsonAsync();
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);

            var promptTokens = int.Parse(response.Header("x-parley-prompt-tokens")!);
            Assert.Equal(body.GetProperty("usage").GetProperty("prompt_tokens").GetInt32(), promptTokens);
            Assert.InRange(promptTokens, 1, Budget);
            var sent = JsonDocument.Parse(Harness.SimState.LastRequest!.Body).RootElement.GetProperty("messages").EnumerateArray().ToList();
            Assert.Equal("""{"role":"system","content":"Be brief."}""", sent[0].GetRawText());
            Assert.Single(sent, m => m.GetProperty("role").GetString() == "system");
            Assert.Equal(text, sent[^1].GetProperty("content").GetString());

            lastDropped = int.Parse(response.Header("x-parley-context-dropped")!);
            Assert.Equal(0, lastDropped % 2); // whole turns: a user message and its reply
            Assert.Equal(1 + 2 * turn - lastDropped + 1, sent.Count);
        }
        Assert.True(lastDropped > 0, "the 60-token budget holds the system prompt and at most one earlier turn");
    }

    [Fact]
    public async Task The_working_context_is_for_the_admin_key_only()
    {
        const string Unknown = "conv_00000000000000000000000000000000";
        using (var user = await Client.GetAsync($"admin/conversations/{Unknown}/context"))
        {
            Assert.Equal(
                """{"error":{"message":"This endpoint requires the Parley admin key.","type":"permission_error","param":null,"code":"insufficient_permissions"}}""",
                await user.Content.ReadAsStringAsync());
            Assert.Equal(HttpStatusCode.Forbidden, user.StatusCode);
        }
        using (var anonymous = await Harness.CreateClient(null).GetAsync($"admin/conversations/{Unknown}/context"))
        {
            await anonymous.AssertErrorAsync(HttpStatusCode.Unauthorized, "invalid_api_key");
        }

        var admin = Harness.CreateClient(Harness.AdminKey);
        var missing = await SendAsync(admin, HttpMethod.Get, $"admin/conversations/{Unknown}/context", expected: HttpStatusCode.NotFound);
        AssertJson($$$"""{"error":{"message":"Conversation with id '{{{Unknown}}}' not found.","type":"invalid_request_error","param":null,"code":"conversation_not_found"}}""", missing);

        using var malformed = await admin.GetAsync("admin/conversations/conv_123/context");
        await malformed.AssertErrorAsync(HttpStatusCode.BadRequest, "invalid_conversation_id", "conversation_id");
    }

    [Fact]
    public async Task The_working_context_shows_the_pinned_prompt_the_items_and_their_token_counts()
    {
        var id = (await SendAsync(Client, HttpMethod.Post, "v1/conversations",
            $$"""{"system_prompt":"{{SystemPrompt}}","max_context_tokens":500}""")).GetProperty("id").GetString()!;
        using (var first = await SendTurnAsync(id, FirstText))
        {
            Assert.Equal(HttpStatusCode.OK, first.StatusCode);
            Assert.Equal((ReplyPriming + SystemPromptTokens + FirstTextTokens).ToString(), first.Header("x-parley-prompt-tokens"));
        }
        using (var second = await SendTurnAsync(id, SecondText))
        {
            Assert.Equal(HttpStatusCode.OK, second.StatusCode);
            var usage = (await second.ReadJsonAsync()).GetProperty("usage").GetProperty("prompt_tokens").GetInt32();
            Assert.Equal(ReplyPriming + SystemPromptTokens + FirstTextTokens + ReplyTokens + SecondTextTokens, usage);
        }

        var admin = Harness.CreateClient(Harness.AdminKey);
        var context = await SendAsync(admin, HttpMethod.Get, $"admin/conversations/{id}/context");
        Assert.Equal(id, context.GetProperty("conversation_id").GetString());
        Assert.Equal(fixture.UserId, context.GetProperty("owner_user_id").GetString());
        Assert.Equal(SiloHarness.Model, context.GetProperty("model").GetString());
        Assert.Equal("o200k_base", context.GetProperty("encoding").GetString());
        Assert.Equal(500, context.GetProperty("budget").GetInt32());
        AssertJson($$"""{"text":"{{SystemPrompt}}","tokens":{{SystemPromptTokens}}}""", context.GetProperty("system_prompt"));
        Assert.Equal(JsonValueKind.Null, context.GetProperty("summary").ValueKind);

        var transcript = (await SendAsync(Client, HttpMethod.Get, $"v1/conversations/{id}/items?order=asc")).GetProperty("data").EnumerateArray()
            .Select(i => i.GetProperty("id").GetString()).ToArray();
        var items = context.GetProperty("items").EnumerateArray().ToList();
        Assert.Equal(transcript, items.Select(i => i.GetProperty("id").GetString()));
        Assert.Equal(new[] { "user", "assistant", "user", "assistant" }, items.Select(i => i.GetProperty("role").GetString()));
        Assert.Equal(new long[] { 1, 2, 3, 4 }, items.Select(i => i.GetProperty("seq").GetInt64()));
        Assert.Equal(new[] { FirstTextTokens, ReplyTokens, SecondTextTokens, ReplyTokens }, items.Select(i => i.GetProperty("tokens").GetInt32()));
        Assert.Equal(new[] { "id", "role", "seq", "tokens" }, items[0].EnumerateObject().Select(p => p.Name));

        Assert.Equal(ReplyPriming + SystemPromptTokens + items.Sum(i => i.GetProperty("tokens").GetInt32()), context.GetProperty("context_tokens").GetInt32());
        Assert.Equal(4, context.GetProperty("transcript_items").GetInt32());
        Assert.Equal(0, context.GetProperty("dropped_items").GetInt32());
    }

    private Task<HttpResponseMessage> SendTurnAsync(string conversationId, string text)
        => Client.PostChatAsync(
            $$"""{"model":"{{SiloHarness.Model}}","conversation":"{{conversationId}}","messages":[{"role":"user","content":{{JsonSerializer.Serialize(text)}}}]}""");
}
