using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Parley.Silo.Tests.Infrastructure;
using Xunit;

namespace Parley.Silo.Tests.Chat;

/// <summary>Every bad request is answered by the silo itself (the upstream never sees it) with OpenAI's error object
/// and the exact status, code and param.</summary>
public sealed class ChatBadInputTests(ChatBadInputTests.Fixture fixture) : IClassFixture<ChatBadInputTests.Fixture>
{
    public sealed class Fixture : SiloFixture
    {
        public const int MaxBodyBytes = 2048;

        protected override void Configure(IDictionary<string, string?> settings)
            => settings["Parley:Limits:MaxRequestBodyBytes"] = MaxBodyBytes.ToString(System.Globalization.CultureInfo.InvariantCulture);
    }

    private SiloHarness Harness => fixture.Harness;

    public static TheoryData<string, string?, string?> InvalidBodies => new()
    {
        // body, expected code, expected param
        { """{"model":"parley-sim","messages":[""", "invalid_json", null },
        { "not json at all", "invalid_json", null },
        { "", "invalid_json", null },
        { """[{"model":"parley-sim"}]""", "invalid_type", null },
        { """{"messages":[{"role":"user","content":"Hi"}]}""", "missing_required_parameter", "model" },
        { """{"model":42,"messages":[{"role":"user","content":"Hi"}]}""", "invalid_type", "model" },
        { """{"model":"parley-sim"}""", "missing_required_parameter", "messages" },
        { """{"model":"parley-sim","messages":{"role":"user"}}""", "invalid_type", "messages" },
        { """{"model":"parley-sim","messages":[]}""", "empty_array", "messages" },
        { """{"model":"parley-sim","messages":[{"role":"user","content":"Hi"},"Hi"]}""", "invalid_type", "messages[1]" },
        { """{"model":"parley-sim","messages":[{"content":"Hi"}]}""", "missing_required_parameter", "messages[0].role" },
        { """{"model":"parley-sim","messages":[{"role":7,"content":"Hi"}]}""", "invalid_type", "messages[0].role" },
        { """{"model":"parley-sim","messages":[{"role":"user","content":"Hi"},{"role":"wizard","content":"Hi"}]}""", "invalid_value", "messages[1].role" },
        { """{"model":"parley-sim","messages":[{"role":"user"}]}""", "missing_required_parameter", "messages[0].content" },
        { """{"model":"parley-sim","messages":[{"role":"user","content":12}]}""", "invalid_type", "messages[0].content" },
        { """{"model":"parley-sim","messages":[{"role":"user","content":["text"]}]}""", "invalid_type", "messages[0].content[0]" },
        { """{"model":"parley-sim","messages":[{"role":"user","content":"Hi"}],"stream":"yes"}""", "invalid_type", "stream" },
        { """{"model":"parley-sim","messages":[{"role":"user","content":"Hi"}],"stream":true,"stream_options":"all"}""", "invalid_type", "stream_options" },
        { """{"model":"parley-sim","messages":[{"role":"user","content":"Hi"}],"stream":true,"stream_options":{"include_usage":"yes"}}""", "invalid_type", "stream_options.include_usage" },
        { """{"model":"parley-sim","messages":[{"role":"user","content":"Hi"}],"max_tokens":"10"}""", "invalid_type", "max_tokens" },
        { """{"model":"parley-sim","messages":[{"role":"user","content":"Hi"}],"max_completion_tokens":1.5}""", "invalid_type", "max_completion_tokens" },
        { """{"model":"parley-sim","messages":[{"role":"user","content":"Hi"}],"n":[1]}""", "invalid_type", "n" },
        { """{"model":"parley-sim","messages":[{"role":"user","content":"Hi"}],"temperature":"hot"}""", "invalid_type", "temperature" },
        { """{"model":"parley-sim","messages":[{"role":"user","content":"Hi"}],"conversation":"abc"}""", "invalid_conversation_id", "conversation" },
        { """{"model":"parley-sim","messages":[{"role":"user","content":"Hi"}],"conversation":"conv_0123456789ABCDEF0123456789abcdef"}""", "invalid_conversation_id", "conversation" },
        { """{"model":"parley-sim","messages":[{"role":"user","content":"Hi"}],"conversation":{"id":5}}""", "invalid_conversation_id", "conversation" },
        { """{"model":"parley-sim","messages":[{"role":"user","content":"Hi"}],"conversation":true}""", "invalid_conversation_id", "conversation" },
    };

    [Theory]
    [MemberData(nameof(InvalidBodies))]
    public async Task Invalid_body_is_refused_with_400(string body, string? code, string? param)
    {
        var before = Harness.SimState.RequestsReceived;
        using var response = await fixture.Client.PostChatAsync(body);

        await response.AssertErrorAsync(HttpStatusCode.BadRequest, code, param);
        Assert.Equal(before, Harness.SimState.RequestsReceived);
    }

    [Fact]
    public async Task Unknown_model_is_404_model_not_found()
    {
        using var response = await fixture.Client.PostChatAsync(Bodies.Simple(model: "gpt-9"));

        var error = await response.AssertErrorAsync(HttpStatusCode.NotFound, "model_not_found", "model");
        Assert.Contains("gpt-9", error.GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Oversized_body_with_content_length_is_413()
    {
        var body = Bodies.Simple(content: new string('x', Fixture.MaxBodyBytes));
        using var response = await fixture.Client.PostChatAsync(body);

        await response.AssertErrorAsync(HttpStatusCode.RequestEntityTooLarge, "request_too_large");
    }

    [Fact]
    public async Task Oversized_chunked_body_without_content_length_is_413()
    {
        var bytes = Encoding.UTF8.GetBytes(Bodies.Simple(content: new string('x', Fixture.MaxBodyBytes)));
        using var request = new HttpRequestMessage(HttpMethod.Post, Http.ChatPath) { Content = new StreamContent(new UnseekableStream(bytes)) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        using var response = await fixture.Client.SendAsync(request);

        Assert.Null(request.Content.Headers.ContentLength);
        await response.AssertErrorAsync(HttpStatusCode.RequestEntityTooLarge, "request_too_large");
    }

    [Fact]
    public async Task Body_just_under_the_limit_is_accepted_even_when_chunked()
    {
        var body = Bodies.Simple(content: new string('x', Fixture.MaxBodyBytes - 100));
        using var request = new HttpRequestMessage(HttpMethod.Post, Http.ChatPath) { Content = new StreamContent(new UnseekableStream(Encoding.UTF8.GetBytes(body))) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        using var response = await fixture.Client.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task Malformed_conversation_header_is_400()
    {
        using var response = await fixture.Client.PostChatAsync(Bodies.Simple(), r => r.Headers.Add("X-Parley-Conversation", "conv_nothex"));

        await response.AssertErrorAsync(HttpStatusCode.BadRequest, "invalid_conversation_id", "X-Parley-Conversation");
    }

    [Fact]
    public async Task Unknown_conversation_is_404()
    {
        var body = """{"model":"parley-sim","messages":[{"role":"user","content":"Hi"}],"conversation":"conv_00000000000000000000000000000000"}""";
        using var response = await fixture.Client.PostChatAsync(body);

        await response.AssertErrorAsync(HttpStatusCode.NotFound, "conversation_not_found", "conversation");
    }

    [Fact]
    public async Task Another_users_conversation_is_404_as_if_it_did_not_exist()
    {
        var (_, otherKey) = await Harness.CreateUserAsync("other-user");
        using var created = await Harness.CreateClient(otherKey).PostAsync("v1/conversations", Http.Json("{}"));
        var conversationId = (await created.ReadJsonAsync()).GetProperty("id").GetString()!;

        using var response = await fixture.Client.PostChatAsync(Bodies.Simple(), r => r.Headers.Add("X-Parley-Conversation", conversationId));

        await response.AssertErrorAsync(HttpStatusCode.NotFound, "conversation_not_found", "conversation");
    }

    [Theory]
    [InlineData(null)]
    [InlineData("sk-parley-wrong")]
    public async Task Chat_without_a_valid_key_is_401(string? key)
    {
        using var response = await Harness.CreateClient(key).PostChatAsync(Bodies.Simple());

        await response.AssertErrorAsync(HttpStatusCode.Unauthorized, "invalid_api_key");
    }

    [Theory]
    [InlineData(null)]
    [InlineData("sk-parley-wrong")]
    public async Task Models_without_a_valid_key_is_401(string? key)
    {
        using var response = await Harness.CreateClient(key).GetAsync("v1/models");

        await response.AssertErrorAsync(HttpStatusCode.Unauthorized, "invalid_api_key");
    }

    [Fact]
    public async Task Unknown_model_id_is_404()
    {
        using var response = await fixture.Client.GetAsync("v1/models/gpt-9");

        await response.AssertErrorAsync(HttpStatusCode.NotFound, "model_not_found", "model");
    }

    [Fact]
    public async Task Wrong_method_is_405_in_OpenAI_shape()
    {
        using var response = await fixture.Client.PostAsync("v1/models", Http.Json("{}"));

        await response.AssertErrorAsync(HttpStatusCode.MethodNotAllowed, "method_not_allowed");
    }

    [Fact]
    public async Task Unknown_route_is_404_in_OpenAI_shape()
    {
        using var response = await fixture.Client.GetAsync("v1/no-such-route");

        await response.AssertErrorAsync(HttpStatusCode.NotFound, "unknown_url");
    }

    /// <summary>Forces HttpClient to send without Content-Length (chunked), as a streaming client would.</summary>
    private sealed class UnseekableStream(byte[] bytes) : MemoryStream(bytes)
    {
        public override bool CanSeek => false;
    }
}
