using System.Text;
using Parley.Sim.Hosting;
using Parley.Sim.Tests.Infrastructure;

namespace Parley.Sim.Tests.Chat;

public sealed class ValidationTests : IAsyncLifetime
{
    private SimulatorHost _sim = null!;
    private HttpClient _client = null!;

    public async Task InitializeAsync()
    {
        _sim = await SimulatorHost.StartAsync(o => o.MaxRequestBodyBytes = 4096);
        _client = SimClient.Create(_sim);
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await _sim.DisposeAsync();
    }

    [Theory]
    [InlineData("{\"model\":\"sim-small\",\"messages\":[", null, null)]
    [InlineData("", null, null)]
    [InlineData("not json", null, null)]
    [InlineData("{\"model\":\"sim-small\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]} trailing", null, null)]
    [InlineData("{\"max_tokens\":\"ten\",\"messages\":[", null, null)] // syntax beats schema, as at OpenAI
    [InlineData("[1,2]", "invalid_type", "body")]
    [InlineData("{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}", null, null)] // missing model
    [InlineData("{\"model\":null,\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}", null, null)]
    [InlineData("{\"model\":42,\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}", "invalid_type", "model")]
    [InlineData("{\"model\":\"sim-small\"}", "missing_required_parameter", "messages")]
    [InlineData("{\"model\":\"sim-small\",\"messages\":[]}", "empty_array", "messages")]
    [InlineData("{\"model\":\"sim-small\",\"messages\":{}}", "invalid_type", "messages")]
    [InlineData("{\"model\":\"sim-small\",\"messages\":[\"hi\"]}", "invalid_type", "messages[0]")]
    [InlineData("{\"model\":\"sim-small\",\"messages\":[{\"content\":\"x\"}]}", "missing_required_parameter", "messages[0].role")]
    [InlineData("{\"model\":\"sim-small\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"},{\"role\":\"robot\",\"content\":\"x\"}]}", "invalid_value", "messages[1].role")]
    [InlineData("{\"model\":\"sim-small\",\"messages\":[{\"role\":7,\"content\":\"x\"}]}", "invalid_type", "messages[0].role")]
    [InlineData("{\"model\":\"sim-small\",\"messages\":[{\"role\":\"user\"}]}", "missing_required_parameter", "messages[0].content")]
    [InlineData("{\"model\":\"sim-small\",\"messages\":[{\"role\":\"user\",\"content\":5}]}", "invalid_type", "messages[0].content")]
    [InlineData("{\"model\":\"sim-small\",\"messages\":[{\"role\":\"user\",\"content\":[\"x\"]}]}", "invalid_type", "messages[0].content[0]")]
    [InlineData("{\"model\":\"sim-small\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"max_tokens\":\"ten\"}", "invalid_type", "max_tokens")]
    [InlineData("{\"model\":\"sim-small\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"max_tokens\":1.5}", "invalid_type", "max_tokens")]
    [InlineData("{\"model\":\"sim-small\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"max_tokens\":0}", "integer_below_min_value", "max_tokens")]
    [InlineData("{\"model\":\"sim-small\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"max_completion_tokens\":-3}", "integer_below_min_value", "max_completion_tokens")]
    [InlineData("{\"model\":\"sim-small\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"stream\":\"yes\"}", "invalid_type", "stream")]
    [InlineData("{\"model\":\"sim-small\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"stream\":true,\"stream_options\":[]}", "invalid_type", "stream_options")]
    [InlineData("{\"model\":\"sim-small\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"stream\":true,\"stream_options\":{\"include_usage\":1}}", "invalid_type", "stream_options.include_usage")]
    [InlineData("{\"model\":\"sim-small\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"stream_options\":{\"include_usage\":true}}", "invalid_value", "stream_options")]
    [InlineData("{\"model\":\"sim-small\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"temperature\":2.5}", "decimal_above_max_value", "temperature")]
    [InlineData("{\"model\":\"sim-small\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"top_p\":-0.1}", "decimal_below_min_value", "top_p")]
    [InlineData("{\"model\":\"sim-small\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"temperature\":\"hot\"}", "invalid_type", "temperature")]
    public async Task Bad_body_is_a_400_invalid_request_error(string body, string? code, string? param)
    {
        using var response = await _client.PostChatAsync(body);

        await SimClient.AssertErrorAsync(response, 400, "invalid_request_error", code, param);
        Assert.Equal(1, _sim.State.BadRequests);
        Assert.Equal(0, _sim.State.Completed);
    }

    [Fact]
    public async Task Error_messages_are_worded_like_openai()
    {
        using var missingModel = await _client.PostChatAsync("{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}");
        using var wrongType = await _client.PostChatAsync(SimClient.Body(extra: ",\"max_tokens\":\"ten\""));
        using var unknownModel = await _client.PostChatAsync(SimClient.Body(model: "gpt-nope"));

        Assert.Equal("you must provide a model parameter", (await missingModel.JsonAsync()).GetProperty("error").GetProperty("message").GetString());
        Assert.Equal("Invalid type for 'max_tokens': expected an integer, but got a string instead.",
            (await wrongType.JsonAsync()).GetProperty("error").GetProperty("message").GetString());
        var notFound = await SimClient.AssertErrorAsync(unknownModel, 404, "invalid_request_error", "model_not_found");
        Assert.Equal("The model `gpt-nope` does not exist or you do not have access to it.", notFound.GetProperty("message").GetString());
    }

    [Fact]
    public async Task Unknown_fields_and_nulls_are_accepted()
    {
        var body = """
            {"model":"sim-small","messages":[{"role":"developer","content":"d","name":"x"},{"role":"user","content":"hi"}],
             "stream":null,"max_tokens":null,"temperature":0.5,"seed":1,"metadata":{"a":[1,{"b":null}]},"tools":[],"user":"u"}
            """;

        using var response = await _client.PostChatAsync(body);

        Assert.Equal(200, (int)response.StatusCode);
    }

    [Fact]
    public async Task Oversized_body_is_a_413()
    {
        var body = SimClient.Body(new string('a', 5000));

        using var response = await _client.PostChatAsync(body);

        await SimClient.AssertErrorAsync(response, 413, "invalid_request_error", "request_too_large");
    }

    [Fact]
    public async Task Oversized_chunked_body_is_a_413()
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "v1/chat/completions")
        {
            // No Content-Length: the limit is enforced while reading.
            Content = new StreamContent(new MemoryStream(Encoding.UTF8.GetBytes(SimClient.Body(new string('a', 5000))))),
        };
        request.Headers.TransferEncodingChunked = true;

        using var response = await _client.SendAsync(request);

        await SimClient.AssertErrorAsync(response, 413, "invalid_request_error", "request_too_large");
    }

    [Theory]
    [InlineData("x-sim-fault", "explode")]
    [InlineData("x-sim-retry-after", "soon")]
    [InlineData("x-sim-cut-after-chunks", "0")]
    [InlineData("x-sim-response-tokens", "-1")]
    public async Task Bad_simulator_header_is_a_400(string header, string value)
    {
        using var response = await _client.PostChatAsync(SimClient.Body(), (header, value));

        await SimClient.AssertErrorAsync(response, 400, "invalid_request_error", "invalid_value", header);
    }
}
