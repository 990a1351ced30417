using System.Text;
using Parley.Sim.Hosting;
using Parley.Sim.Tests.Infrastructure;

namespace Parley.Sim.Tests.Anthropic;

public sealed class MessagesValidationTests : IAsyncLifetime
{
    private const string User = """{"role":"user","content":"x"}""";

    private SimulatorHost _sim = null!;
    private HttpClient _client = null!;

    public async Task InitializeAsync()
    {
        _sim = await SimulatorHost.StartAsync(o => o.MaxRequestBodyBytes = 4096);
        _client = AnthropicSimClient.Create(_sim);
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await _sim.DisposeAsync();
    }

    [Theory]
    [InlineData("", "The request body is not valid JSON.")]
    [InlineData("{\"model\":\"sim-small\",\"messages\":[", "The request body is not valid JSON.")]
    [InlineData("{\"max_tokens\":\"ten\",\"messages\":[", "The request body is not valid JSON.")] // syntax beats schema
    [InlineData("[1]", "Input should be a valid dictionary (a JSON object)")]
    [InlineData($$"""{"max_tokens":5,"messages":[{{User}}]}""", "model: Field required")]
    [InlineData($$"""{"model":7,"max_tokens":5,"messages":[{{User}}]}""", "model: Input should be a valid string")]
    [InlineData($$"""{"model":"sim-small","messages":[{{User}}]}""", "max_tokens: Field required")]
    [InlineData($$"""{"model":"sim-small","max_tokens":"5","messages":[{{User}}]}""", "max_tokens: Input should be a valid integer")]
    [InlineData($$"""{"model":"sim-small","max_tokens":2.5,"messages":[{{User}}]}""", "max_tokens: Input should be a valid integer")]
    [InlineData($$"""{"model":"sim-small","max_tokens":0,"messages":[{{User}}]}""", "max_tokens: Input should be greater than or equal to 1")]
    [InlineData("""{"model":"sim-small","max_tokens":5}""", "messages: Field required")]
    [InlineData("""{"model":"sim-small","max_tokens":5,"messages":{}}""", "messages: Input should be a valid list")]
    [InlineData("""{"model":"sim-small","max_tokens":5,"messages":[]}""", "messages: at least one message is required")]
    [InlineData("""{"model":"sim-small","max_tokens":5,"messages":["hi"]}""", "messages.0: Input should be a valid dictionary")]
    [InlineData("""{"model":"sim-small","max_tokens":5,"messages":[{"content":"x"}]}""", "messages.0.role: Field required")]
    [InlineData("""{"model":"sim-small","max_tokens":5,"messages":[{"role":"system","content":"x"}]}""", "messages.0.role: Input should be 'user' or 'assistant'")]
    [InlineData("""{"model":"sim-small","max_tokens":5,"messages":[{"role":"user"}]}""", "messages.0.content: Field required")]
    [InlineData("""{"model":"sim-small","max_tokens":5,"messages":[{"role":"user","content":5}]}""", "messages.0.content: Input should be a valid string or a list of content blocks")]
    [InlineData("""{"model":"sim-small","max_tokens":5,"messages":[{"role":"user","content":""}]}""", "messages.0: all messages must have non-empty content except for the optional final assistant message")]
    [InlineData("""{"model":"sim-small","max_tokens":5,"messages":[{"role":"user","content":[]}]}""", "messages.0: all messages must have non-empty content except for the optional final assistant message")]
    [InlineData("""{"model":"sim-small","max_tokens":5,"messages":[{"role":"user","content":"a"},{"role":"assistant","content":[]},{"role":"user","content":"b"}]}""", "messages.1: all messages must have non-empty content except for the optional final assistant message")]
    [InlineData("""{"model":"sim-small","max_tokens":5,"messages":[{"role":"user","content":["x"]}]}""", "messages.0.content.0: Input should be a valid dictionary")]
    [InlineData("""{"model":"sim-small","max_tokens":5,"messages":[{"role":"user","content":[{"text":"x"}]}]}""", "messages.0.content.0.type: Field required")]
    [InlineData("""{"model":"sim-small","max_tokens":5,"messages":[{"role":"user","content":[{"type":"document"}]}]}""", "messages.0.content.0.type: Input tag 'document' found using 'type' does not match any of the expected tags: 'text', 'image', 'tool_use', 'tool_result'")]
    [InlineData("""{"model":"sim-small","max_tokens":5,"messages":[{"role":"user","content":[{"type":"text"}]}]}""", "messages.0.content.0.text: Field required")]
    [InlineData("""{"model":"sim-small","max_tokens":5,"messages":[{"role":"user","content":[{"type":"text","text":""}]}]}""", "messages.0.content.0.text: text content blocks must be non-empty")]
    [InlineData("""{"model":"sim-small","max_tokens":5,"messages":[{"role":"user","content":[{"type":"text","text":1}]}]}""", "messages.0.content.0.text: Input should be a valid string")]
    [InlineData("""{"model":"sim-small","max_tokens":5,"messages":[{"role":"user","content":[{"type":"image"}]}]}""", "messages.0.content.0.source: Field required")]
    [InlineData("""{"model":"sim-small","max_tokens":5,"messages":[{"role":"user","content":[{"type":"image","source":{"type":"file"}}]}]}""", "messages.0.content.0.source.type: Input tag 'file' found using 'type' does not match any of the expected tags: 'base64', 'url'")]
    [InlineData("""{"model":"sim-small","max_tokens":5,"messages":[{"role":"user","content":[{"type":"image","source":{"type":"base64","media_type":"image/bmp","data":"x"}}]}]}""", "messages.0.content.0.source.media_type: Input should be 'image/jpeg', 'image/png', 'image/gif' or 'image/webp'")]
    [InlineData("""{"model":"sim-small","max_tokens":5,"messages":[{"role":"user","content":[{"type":"image","source":{"type":"base64","media_type":"image/png"}}]}]}""", "messages.0.content.0.source.data: Field required")]
    [InlineData("""{"model":"sim-small","max_tokens":5,"messages":[{"role":"user","content":[{"type":"image","source":{"type":"url"}}]}]}""", "messages.0.content.0.source.url: Field required")]
    [InlineData($$"""{"model":"sim-small","max_tokens":5,"messages":[{{User}}],"system":5}""", "system: Input should be a valid string or a list of text blocks")]
    [InlineData($$$"""{"model":"sim-small","max_tokens":5,"messages":[{{{User}}}],"system":[{"type":"image","source":{}}]}""", "system.0.type: Input should be 'text'")]
    [InlineData($$"""{"model":"sim-small","max_tokens":5,"messages":[{{User}}],"system":[{"type":"text","text":""}]}""", "system.0.text: text content blocks must be non-empty")]
    [InlineData($$"""{"model":"sim-small","max_tokens":5,"messages":[{{User}}],"temperature":1.5}""", "temperature: Input should be less than or equal to 1")]
    [InlineData($$"""{"model":"sim-small","max_tokens":5,"messages":[{{User}}],"temperature":-1}""", "temperature: Input should be greater than or equal to 0")]
    [InlineData($$"""{"model":"sim-small","max_tokens":5,"messages":[{{User}}],"temperature":"hot"}""", "temperature: Input should be a valid number")]
    [InlineData($$"""{"model":"sim-small","max_tokens":5,"messages":[{{User}}],"top_p":2}""", "top_p: Input should be less than or equal to 1")]
    [InlineData($$"""{"model":"sim-small","max_tokens":5,"messages":[{{User}}],"top_k":-1}""", "top_k: Input should be greater than or equal to 0")]
    [InlineData($$"""{"model":"sim-small","max_tokens":5,"messages":[{{User}}],"top_k":0.5}""", "top_k: Input should be a valid integer")]
    [InlineData($$"""{"model":"sim-small","max_tokens":5,"messages":[{{User}}],"stream":"yes"}""", "stream: Input should be a valid boolean")]
    [InlineData($$"""{"model":"sim-small","max_tokens":5,"messages":[{{User}}],"stop_sequences":"END"}""", "stop_sequences: Input should be a valid list")]
    [InlineData($$"""{"model":"sim-small","max_tokens":5,"messages":[{{User}}],"stop_sequences":["END",3]}""", "stop_sequences.1: Input should be a valid string")]
    [InlineData($$"""{"model":"sim-small","max_tokens":5,"messages":[{{User}}],"metadata":[]}""", "metadata: Input should be a valid dictionary")]
    [InlineData($$$"""{"model":"sim-small","max_tokens":5,"messages":[{{{User}}}],"metadata":{"user_id":42}}""", "metadata.user_id: Input should be a valid string")]
    [InlineData($$"""{"model":"sim-small","max_tokens":5,"messages":[{{User}}],"max_tokens":6}""", "max_tokens: the field is given more than once")]
    public async Task Bad_body_is_a_400_invalid_request_error_naming_the_field(string body, string message)
    {
        using var response = await _client.PostMessagesAsync(body);

        await AnthropicSimClient.AssertErrorAsync(response, 400, "invalid_request_error", message);
        Assert.Equal(1, _sim.State.BadRequests);
        Assert.Equal(0, _sim.State.Completed);
    }

    [Fact]
    public async Task Unknown_model_is_a_404_not_found_error()
    {
        using var response = await _client.PostMessagesAsync(AnthropicSimClient.Body(model: "claude-3-opus-20240229"));

        await AnthropicSimClient.AssertErrorAsync(response, 404, "not_found_error", "model: claude-3-opus-20240229");
    }

    [Fact]
    public async Task Body_over_the_limit_is_a_413_request_too_large()
    {
        using var response = await _client.PostMessagesAsync(AnthropicSimClient.Body(new string('x', 5000)));

        await AnthropicSimClient.AssertErrorAsync(response, 413, "request_too_large", "Request exceeds the maximum allowed number of bytes (4096).");
    }

    [Fact]
    public async Task Invalid_utf8_is_a_400_not_a_500()
    {
        var bytes = Encoding.UTF8.GetBytes(AnthropicSimClient.Body("AB")).ToArray();
        var at = Array.IndexOf(bytes, (byte)'A');
        bytes[at] = 0xC3;
        bytes[at + 1] = 0x28;
        using var request = new HttpRequestMessage(HttpMethod.Post, "v1/messages") { Content = new ByteArrayContent(bytes) };

        using var response = await _client.SendAsync(request);

        await AnthropicSimClient.AssertErrorAsync(response, 400, "invalid_request_error", "The request body is not valid JSON.");
        Assert.False(_sim.State.LastRequest!.IsJson);
    }

    [Theory]
    [InlineData(null, null, "x-api-key header is required")]
    [InlineData("", null, "x-api-key header is required")]
    [InlineData("sk-wrong-secret", null, "invalid x-api-key")]
    [InlineData(null, "sk-wrong-secret", "invalid x-api-key")]
    [InlineData("sk-wrong-secret", SimClient.Key, "invalid x-api-key")] // with both, x-api-key is the one read
    [InlineData(SimClient.Key, null, null)]
    [InlineData(null, SimClient.Key, null)] // Anthropic's SDKs send the key as a bearer token since 2026-10-21
    [InlineData(SimClient.Key, "sk-wrong-secret", null)]
    public async Task Key_is_read_from_x_api_key_else_a_bearer_token(string? apiKey, string? bearer, string? message)
    {
        await using var sim = await SimulatorHost.StartAsync(o => o.ApiKeys = [SimClient.Key]);
        using var client = AnthropicSimClient.Create(sim, key: apiKey);
        using var request = AnthropicSimClient.MessagesRequest(AnthropicSimClient.Body());
        if (bearer is not null)
        {
            request.Headers.Authorization = new("Bearer", bearer);
        }

        using var response = await client.SendAsync(request);

        if (message is null)
        {
            Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
            Assert.Equal(1, sim.State.RequestsFor(SimClient.Key));
            return;
        }
        await AnthropicSimClient.AssertErrorAsync(response, 401, "authentication_error", message);
        Assert.Equal(1, sim.State.Unauthorized);
        Assert.Equal(0, sim.State.RequestsFor("sk-wrong-secret"));
    }

    [Theory]
    [InlineData(null, "anthropic-version: header is required")]
    [InlineData("2024-01-01", "anthropic-version: '2024-01-01' is not a valid version (the simulator serves 2026-10-21, 2023-06-01, 2023-01-01)")]
    public async Task Missing_or_unknown_version_is_a_400(string? version, string message)
    {
        await using var sim = await SimulatorHost.StartAsync();
        using var client = AnthropicSimClient.Create(sim, version: version);

        using var response = await client.PostMessagesAsync(AnthropicSimClient.Body());

        await AnthropicSimClient.AssertErrorAsync(response, 400, "invalid_request_error", message);
        Assert.Equal(1, sim.State.BadRequests);
    }

    [Theory]
    [InlineData("temperature", "1.0")]
    [InlineData("top_p", "0.9")]
    [InlineData("top_k", "5")]
    public async Task Version_2026_10_21_refuses_the_sampling_parameters_and_2023_06_01_takes_them(string name, string value)
    {
        await using var sim = await SimulatorHost.StartAsync();
        using var current = AnthropicSimClient.Create(sim, version: "2026-10-21");
        using var previous = AnthropicSimClient.Create(sim, version: "2023-06-01");
        var body = AnthropicSimClient.Body(extra: $",\"{name}\":{value}");

        using var refused = await current.PostMessagesAsync(body);
        using var accepted = await previous.PostMessagesAsync(body);
        using var without = await current.PostMessagesAsync(AnthropicSimClient.Body());

        await AnthropicSimClient.AssertErrorAsync(refused, 400, "invalid_request_error", $"{name}: Extra inputs are not permitted");
        Assert.Equal(System.Net.HttpStatusCode.OK, accepted.StatusCode);
        Assert.Equal(System.Net.HttpStatusCode.OK, without.StatusCode);
    }

    [Fact]
    public async Task Bad_test_header_is_a_400_naming_it()
    {
        using var response = await _client.PostMessagesAsync(AnthropicSimClient.Body(), ("x-sim-response-tokens", "0"));

        await AnthropicSimClient.AssertErrorAsync(response, 400, "invalid_request_error", "Invalid value for header 'x-sim-response-tokens': expected an integer >= 1.");
    }
}
