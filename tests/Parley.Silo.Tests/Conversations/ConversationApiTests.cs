using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Parley.Silo.Tests.Auth;
using Parley.Silo.Tests.Infrastructure;
using Xunit;
using static Parley.Silo.Tests.Auth.AdminApiTests;
using static Parley.Silo.Tests.Auth.AuthHttpTests;

namespace Parley.Silo.Tests.Conversations;

/// <summary>The Conversations API through real HTTP, with exact shapes and ids.</summary>
public sealed class ConversationApiTests(HarnessFixture fixture) : IClassFixture<HarnessFixture>
{
    private readonly SiloHarness _harness = fixture.Harness;

    private async Task<HttpClient> NewUserAsync()
    {
        var (_, key) = await _harness.CreateUserAsync("user");
        return _harness.CreateClient(key);
    }

    internal static async Task<JsonElement> SendAsync(HttpClient client, HttpMethod method, string path, string? body = null, HttpStatusCode expected = HttpStatusCode.OK)
    {
        using var request = new HttpRequestMessage(method, path) { Content = body is null ? null : Json(body) };
        using var response = await client.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(expected == response.StatusCode, $"{method} {path}: expected {(int)expected}, got {(int)response.StatusCode}: {text}");
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    [Fact]
    public async Task A_conversation_is_created_read_updated_and_deleted()
    {
        var client = await NewUserAsync();
        var created = await SendAsync(client, HttpMethod.Post, "v1/conversations", """{"metadata":{"topic":"demo"}}""");
        var id = created.GetProperty("id").GetString()!;
        Assert.Matches("^conv_[0-9a-f]{32}$", id);
        Assert.Equal("conversation", created.GetProperty("object").GetString());
        Assert.InRange(created.GetProperty("created_at").GetInt64(), DateTimeOffset.UtcNow.AddMinutes(-1).ToUnixTimeSeconds(), DateTimeOffset.UtcNow.ToUnixTimeSeconds());
        Assert.Equal("""{"topic":"demo"}""", created.GetProperty("metadata").GetRawText());

        Assert.Equal(created.GetRawText(), (await SendAsync(client, HttpMethod.Get, $"v1/conversations/{id}")).GetRawText());

        var updated = await SendAsync(client, HttpMethod.Post, $"v1/conversations/{id}", """{"metadata":{"topic":"other","lang":"en"}}""");
        Assert.Equal("""{"topic":"other","lang":"en"}""", updated.GetProperty("metadata").GetRawText());
        Assert.Equal(created.GetProperty("created_at").GetInt64(), updated.GetProperty("created_at").GetInt64());
        Assert.Equal(updated.GetRawText(), (await SendAsync(client, HttpMethod.Get, $"v1/conversations/{id}")).GetRawText());

        var deleted = await SendAsync(client, HttpMethod.Delete, $"v1/conversations/{id}");
        Assert.Equal($$"""{"id":"{{id}}","object":"conversation.deleted","deleted":true}""", deleted.GetRawText());

        foreach (var (method, path) in Routes(id, "msg_00000000000000000000000000000000"))
        {
            var error = await SendAsync(client, method, path, BodyFor(method, path), HttpStatusCode.NotFound);
            Assert.Equal("conversation_not_found", error.GetProperty("error").GetProperty("code").GetString());
        }
    }

    [Fact]
    public async Task An_empty_body_creates_an_empty_conversation()
    {
        var client = await NewUserAsync();
        using var response = await client.PostAsync("v1/conversations", null);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var created = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("{}", created.GetProperty("metadata").GetRawText());
        var items = await SendAsync(client, HttpMethod.Get, $"v1/conversations/{created.GetProperty("id").GetString()}/items");
        AssertJson("""{"object":"list","data":[],"first_id":null,"last_id":null,"has_more":false}""", items);
    }

    [Fact]
    public async Task Items_are_stored_in_the_shape_OpenAI_uses()
    {
        var client = await NewUserAsync();
        var created = await SendAsync(client, HttpMethod.Post, "v1/conversations", """
            {"items":[
              {"type":"message","role":"system","content":"Be brief."},
              {"role":"user","content":[{"type":"input_text","text":"Hi"},{"type":"input_text","text":"there"}]},
              {"role":"assistant","content":[{"type":"output_text","text":"Hello!"}]}
            ]}
            """);
        var id = created.GetProperty("id").GetString()!;

        var list = await SendAsync(client, HttpMethod.Get, $"v1/conversations/{id}/items?order=asc");
        var data = list.GetProperty("data").EnumerateArray().ToList();
        Assert.Equal(3, data.Count);
        Assert.All(data, item => Assert.Matches("^msg_[0-9a-f]{32}$", item.GetProperty("id").GetString()));
        AssertJson(
            """{"type":"message","id":"ID","status":"completed","role":"system","content":[{"type":"input_text","text":"Be brief."}]}""",
            WithoutId(data[0]));
        AssertJson(
            """{"type":"message","id":"ID","status":"completed","role":"user","content":[{"type":"input_text","text":"Hi"},{"type":"input_text","text":"there"}]}""",
            WithoutId(data[1]));
        AssertJson(
            """{"type":"message","id":"ID","status":"completed","role":"assistant","content":[{"type":"output_text","text":"Hello!","annotations":[]}]}""",
            WithoutId(data[2]));

        var itemId = data[1].GetProperty("id").GetString()!;
        var item = await SendAsync(client, HttpMethod.Get, $"v1/conversations/{id}/items/{itemId}");
        Assert.Equal(Normalize(data[1]), Normalize(item));
    }

    [Fact]
    public async Task Items_are_added_and_listed_with_limit_after_and_order()
    {
        var client = await NewUserAsync();
        var id = (await SendAsync(client, HttpMethod.Post, "v1/conversations", "{}")).GetProperty("id").GetString()!;
        var added = await SendAsync(client, HttpMethod.Post, $"v1/conversations/{id}/items",
            """{"items":[{"role":"user","content":"1"},{"role":"assistant","content":"2"},{"role":"user","content":"3"}]}""");
        var more = await SendAsync(client, HttpMethod.Post, $"v1/conversations/{id}/items",
            """{"items":[{"role":"assistant","content":"4"},{"role":"user","content":"5"}]}""");
        Assert.Equal("list", added.GetProperty("object").GetString());
        Assert.False(added.GetProperty("has_more").GetBoolean());
        var ids = Ids(added).Concat(Ids(more)).ToArray();
        Assert.Equal(5, ids.Distinct().Count());
        Assert.Equal(ids[0], added.GetProperty("first_id").GetString());
        Assert.Equal(ids[2], added.GetProperty("last_id").GetString());

        // Default: newest first, 20 at most.
        var all = await SendAsync(client, HttpMethod.Get, $"v1/conversations/{id}/items");
        Assert.Equal(Enumerable.Reverse(ids), Ids(all));
        Assert.Equal(new[] { "5", "4", "3", "2", "1" }, all.GetProperty("data").EnumerateArray().Select(i => i.GetProperty("content")[0].GetProperty("text").GetString()));

        var page1 = await SendAsync(client, HttpMethod.Get, $"v1/conversations/{id}/items?limit=2&order=asc");
        Assert.Equal(ids[..2], Ids(page1));
        Assert.True(page1.GetProperty("has_more").GetBoolean());
        Assert.Equal(ids[0], page1.GetProperty("first_id").GetString());
        Assert.Equal(ids[1], page1.GetProperty("last_id").GetString());
        var page2 = await SendAsync(client, HttpMethod.Get, $"v1/conversations/{id}/items?limit=2&order=asc&after={ids[1]}");
        Assert.Equal(ids[2..4], Ids(page2));
        Assert.True(page2.GetProperty("has_more").GetBoolean());
        var page3 = await SendAsync(client, HttpMethod.Get, $"v1/conversations/{id}/items?limit=2&order=asc&after={ids[3]}");
        Assert.Equal(ids[4..], Ids(page3));
        Assert.False(page3.GetProperty("has_more").GetBoolean());

        var descending = await SendAsync(client, HttpMethod.Get, $"v1/conversations/{id}/items?limit=2&order=desc&after={ids[3]}&include=message.output_text.logprobs");
        Assert.Equal(new[] { ids[2], ids[1] }, Ids(descending));
        Assert.True(descending.GetProperty("has_more").GetBoolean());
        var exact = await SendAsync(client, HttpMethod.Get, $"v1/conversations/{id}/items?limit=5&order=asc");
        Assert.False(exact.GetProperty("has_more").GetBoolean());
    }

    [Fact]
    public async Task An_item_is_deleted_and_the_conversation_returned()
    {
        var client = await NewUserAsync();
        var conversation = await SendAsync(client, HttpMethod.Post, "v1/conversations", """{"items":[{"role":"user","content":"a"},{"role":"user","content":"b"}]}""");
        var id = conversation.GetProperty("id").GetString()!;
        var ids = Ids(await SendAsync(client, HttpMethod.Get, $"v1/conversations/{id}/items?order=asc"));

        var afterDelete = await SendAsync(client, HttpMethod.Delete, $"v1/conversations/{id}/items/{ids[0]}");
        Assert.Equal(conversation.GetRawText(), afterDelete.GetRawText());
        Assert.Equal(new[] { ids[1] }, Ids(await SendAsync(client, HttpMethod.Get, $"v1/conversations/{id}/items")));

        var missing = await SendAsync(client, HttpMethod.Delete, $"v1/conversations/{id}/items/{ids[0]}", expected: HttpStatusCode.NotFound);
        Assert.Equal("item_not_found", missing.GetProperty("error").GetProperty("code").GetString());
        var missingGet = await SendAsync(client, HttpMethod.Get, $"v1/conversations/{id}/items/{ids[0]}", expected: HttpStatusCode.NotFound);
        Assert.Equal("item_not_found", missingGet.GetProperty("error").GetProperty("code").GetString());
    }

    [Fact]
    public async Task Another_users_conversation_is_404_on_every_route_and_stays_untouched()
    {
        var owner = await NewUserAsync();
        var other = await NewUserAsync();
        var conversation = await SendAsync(owner, HttpMethod.Post, "v1/conversations", """{"items":[{"role":"user","content":"secret"}],"metadata":{"k":"v"}}""");
        var id = conversation.GetProperty("id").GetString()!;
        var itemId = Ids(await SendAsync(owner, HttpMethod.Get, $"v1/conversations/{id}/items"))[0];

        foreach (var (method, path) in Routes(id, itemId))
        {
            var error = await SendAsync(other, method, path, BodyFor(method, path), HttpStatusCode.NotFound);
            AssertJson("""{"error":{"message":"Conversation with id '""" + id + """' not found.","type":"invalid_request_error","param":null,"code":"conversation_not_found"}}""",
                error);
        }

        Assert.Equal(conversation.GetRawText(), (await SendAsync(owner, HttpMethod.Get, $"v1/conversations/{id}")).GetRawText());
        Assert.Equal(new[] { itemId }, Ids(await SendAsync(owner, HttpMethod.Get, $"v1/conversations/{id}/items")));
    }

    [Theory]
    [InlineData("conv_123")]
    [InlineData("conv_0123456789ABCDEF0123456789ABCDEF")]
    [InlineData("conv_0123456789abcdef0123456789abcdeg")]
    [InlineData("chat_0123456789abcdef0123456789abcdef")]
    [InlineData("conv_0123456789abcdef0123456789abcdef0")]
    public async Task Malformed_conversation_ids_are_400_on_every_route(string id)
    {
        var client = await NewUserAsync();
        foreach (var (method, path) in Routes(id, "msg_1"))
        {
            var error = await SendAsync(client, method, path, BodyFor(method, path), HttpStatusCode.BadRequest);
            Assert.Equal("invalid_conversation_id", error.GetProperty("error").GetProperty("code").GetString());
            Assert.Equal("conversation_id", error.GetProperty("error").GetProperty("param").GetString());
        }
    }

    [Theory]
    [InlineData("{", null, "invalid_json")]
    [InlineData("{} {}", null, "invalid_json")]
    [InlineData("[1]", null, "invalid_type")]
    [InlineData("""{"metadata":"x"}""", "metadata", "invalid_type")]
    [InlineData("""{"metadata":{"k":1}}""", "metadata.k", "invalid_type")]
    [InlineData("""{"metadata":{"a":"1","b":"2","c":"3","d":"4","e":"5","f":"6","g":"7","h":"8","i":"9","j":"10","k":"11","l":"12","m":"13","n":"14","o":"15","p":"16","q":"17"}}""", "metadata", "invalid_value")]
    [InlineData("""{"items":{}}""", "items", "invalid_type")]
    [InlineData("""{"items":["hi"]}""", "items[0]", "invalid_type")]
    [InlineData("""{"items":[{"content":"x"}]}""", "items[0].role", "missing_required_parameter")]
    [InlineData("""{"items":[{"role":"user"}]}""", "items[0].content", "missing_required_parameter")]
    [InlineData("""{"items":[{"role":"robot","content":"x"}]}""", "items[0].role", "invalid_value")]
    [InlineData("""{"items":[{"role":"user","content":5}]}""", "items[0].content", "invalid_type")]
    [InlineData("""{"items":[{"role":"user","content":[{"type":"input_image","image_url":"x"}]}]}""", "items[0].content[0].type", "invalid_value")]
    [InlineData("""{"items":[{"role":"user","content":[{"type":"input_text","text":1}]}]}""", "items[0].content[0].text", "invalid_type")]
    [InlineData("""{"items":[{"type":"function_call","role":"user","content":"x"}]}""", "items[0].type", "invalid_value")]
    [InlineData("""{"items":[{"role":"user","content":"x","extra":1}]}""", "items[0].extra", "unknown_parameter")]
    [InlineData("""{"title":"x"}""", "title", "unknown_parameter")]
    public async Task Bad_create_bodies_are_400_with_the_parameter(string body, string? param, string code)
    {
        var client = await NewUserAsync();
        using var response = await client.PostAsync("v1/conversations", Json(body));
        await AssertErrorAsync(response, HttpStatusCode.BadRequest, param, code);
    }

    [Fact]
    public async Task Metadata_limits_are_OpenAIs()
    {
        var client = await NewUserAsync();
        var sixteen = string.Join(",", Enumerable.Range(0, 16).Select(i => $"\"k{i}\":\"{new string('v', 512)}\""));
        await SendAsync(client, HttpMethod.Post, "v1/conversations", "{\"metadata\":{" + sixteen + "}}");

        using var longValue = await client.PostAsync("v1/conversations", Json("{\"metadata\":{\"k\":\"" + new string('v', 513) + "\"}}"));
        await AssertErrorAsync(longValue, HttpStatusCode.BadRequest, "metadata.k", "invalid_value");
        using var longKey = await client.PostAsync("v1/conversations", Json("{\"metadata\":{\"" + new string('k', 65) + "\":\"v\"}}"));
        await AssertErrorAsync(longKey, HttpStatusCode.BadRequest, "metadata", "invalid_value");
    }

    [Fact]
    public async Task Bad_item_and_update_bodies_and_queries_are_400()
    {
        var client = await NewUserAsync();
        var id = (await SendAsync(client, HttpMethod.Post, "v1/conversations", "{}")).GetProperty("id").GetString()!;
        var tooMany = string.Join(",", Enumerable.Range(0, 21).Select(_ => """{"role":"user","content":"x"}"""));

        foreach (var (body, param, code) in new (string, string?, string)[]
                 {
                     ("{}", "items", "missing_required_parameter"),
                     ("""{"items":[]}""", "items", "invalid_value"),
                     ($$"""{"items":[{{tooMany}}]}""", "items", "invalid_value"),
                     ("""{"items":[{"role":"user","content":[]}]}""", "items[0].content", "invalid_value"),
                     ("""{"items":null}""", "items", "invalid_type"),
                     ("not json", null, "invalid_json"),
                 })
        {
            using var response = await client.PostAsync($"v1/conversations/{id}/items", Json(body));
            await AssertErrorAsync(response, HttpStatusCode.BadRequest, param, code);
        }
        foreach (var (body, param, code) in new (string, string?, string)[]
                 {
                     ("{}", "metadata", "missing_required_parameter"),
                     ("""{"metadata":[]}""", "metadata", "invalid_type"),
                     ("""{"items":[]}""", "items", "unknown_parameter"),
                 })
        {
            using var response = await client.PostAsync($"v1/conversations/{id}", Json(body));
            await AssertErrorAsync(response, HttpStatusCode.BadRequest, param, code);
        }
        foreach (var (query, param) in new[]
                 {
                     ("limit=0", "limit"), ("limit=101", "limit"), ("limit=ten", "limit"), ("limit=-1", "limit"),
                     ("order=newest", "order"), ("after=msg_00000000000000000000000000000000", "after"),
                 })
        {
            using var response = await client.GetAsync($"v1/conversations/{id}/items?{query}");
            await AssertErrorAsync(response, HttpStatusCode.BadRequest, param, "invalid_value");
        }
        // Nothing was stored by any refused request.
        Assert.Empty(Ids(await SendAsync(client, HttpMethod.Get, $"v1/conversations/{id}/items")));
    }

    internal static IEnumerable<(HttpMethod Method, string Path)> Routes(string id, string itemId) =>
    [
        (HttpMethod.Get, $"v1/conversations/{id}"),
        (HttpMethod.Post, $"v1/conversations/{id}"),
        (HttpMethod.Get, $"v1/conversations/{id}/items"),
        (HttpMethod.Post, $"v1/conversations/{id}/items"),
        (HttpMethod.Get, $"v1/conversations/{id}/items/{itemId}"),
        (HttpMethod.Delete, $"v1/conversations/{id}/items/{itemId}"),
        (HttpMethod.Delete, $"v1/conversations/{id}"),
    ];

    private static string[] Ids(JsonElement list) => list.GetProperty("data").EnumerateArray().Select(i => i.GetProperty("id").GetString()!).ToArray();

    private static string Normalize(JsonElement element) => element.GetRawText();

    private static JsonElement WithoutId(JsonElement item)
        => JsonDocument.Parse(item.GetRawText().Replace(item.GetProperty("id").GetString()!, "ID", StringComparison.Ordinal)).RootElement;

    /// <summary>Compared as JSON values: an encoder may escape characters (' as \u0027) without changing them.</summary>
    internal static void AssertJson(string expected, JsonElement actual)
        => Assert.True(JsonNode.DeepEquals(JsonNode.Parse(expected), JsonNode.Parse(actual.GetRawText())),
            $"Expected {expected}{Environment.NewLine}but got {actual.GetRawText()}");

    /// <summary>A body each POST route accepts, so that only the id decides the answer.</summary>
    internal static string? BodyFor(HttpMethod method, string path)
        => method != HttpMethod.Post ? null
            : path.EndsWith("/items", StringComparison.Ordinal) ? """{"items":[{"role":"user","content":"x"}]}""" : """{"metadata":{}}""";
}
