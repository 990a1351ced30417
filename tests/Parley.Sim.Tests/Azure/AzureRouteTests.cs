using System.Net;
using System.Text;
using System.Text.Json;
using Parley.Sim.Faults;
using Parley.Sim.Hosting;
using Parley.Sim.Tests.Infrastructure;

namespace Parley.Sim.Tests.Azure;

public sealed class AzureRouteTests
{
    private const string ApiVersion = "2024-10-21";

    [Fact]
    public async Task Deployment_route_answers_like_chat_completions_with_the_deployment_as_model()
    {
        await using var sim = await SimulatorHost.StartAsync(o => o.ResponseTokens = 5);
        using var client = SimClient.Create(sim, key: null);
        using var openAI = SimClient.Create(sim);

        // Azure ignores the body's model: the deployment decides.
        using var azure = await client.SendAsync(AzureRequest("sim-large", """{"model":"not-a-model","messages":[{"role":"user","content":"hello"}]}"""));
        using var plain = await openAI.PostChatAsync(SimClient.Body("hello", model: "sim-large"));

        Assert.Equal(HttpStatusCode.OK, azure.StatusCode);
        var json = await azure.JsonAsync();
        var expected = await plain.JsonAsync();
        Assert.Equal("sim-large", json.GetProperty("model").GetString());
        Assert.Equal("Echo: hello lorem ipsum", json.GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString());
        Assert.Equal(expected.GetProperty("choices").GetRawText(), json.GetProperty("choices").GetRawText());
        Assert.Equal(expected.GetProperty("usage").GetRawText(), json.GetProperty("usage").GetRawText());
        Assert.Equal(8, json.GetProperty("usage").GetProperty("prompt_tokens").GetInt32());
        Assert.Equal("/openai/deployments/sim-large/chat/completions", sim.State.RecentRequests[0].Path);
        Assert.Equal(2, sim.State.RequestsFor(SimClient.Key));
        Assert.Equal(2, sim.State.Completed);
    }

    [Fact]
    public async Task Body_without_a_model_is_fine_and_streams()
    {
        await using var sim = await SimulatorHost.StartAsync(o => o.ResponseTokens = 2);
        using var client = SimClient.Create(sim, key: null);

        using var response = await client.SendAsync(AzureRequest("sim-small", """{"messages":[{"role":"user","content":"hi"}],"stream":true}"""));
        var events = await new SseReader(await response.Content.ReadAsStreamAsync()).ReadAllAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(5, events.Count); // role, "Echo", ":", finish, [DONE]
        Assert.Equal("sim-small", JsonDocument.Parse(events[0]).RootElement.GetProperty("model").GetString());
    }

    [Theory]
    [InlineData(null, 404, "404", "Resource not found")]
    [InlineData("", 404, "404", "Resource not found")]
    [InlineData("v1", 400, "BadRequest", "API version not supported")]
    [InlineData("2024-1-21", 400, "BadRequest", "API version not supported")]
    public async Task Missing_or_malformed_api_version_gets_azures_answer(string? apiVersion, int status, string code, string message)
    {
        await using var sim = await SimulatorHost.StartAsync();
        using var client = SimClient.Create(sim, key: null);

        using var response = await client.SendAsync(AzureRequest("sim-small", SimClient.Body(), apiVersion));

        await AssertAzureErrorAsync(response, status, code, message);
        Assert.Equal(1, sim.State.BadRequests);
    }

    [Theory]
    [InlineData("2025-01-01-preview")]
    [InlineData("preview")]
    [InlineData("latest")]
    public async Task Preview_and_v1_api_versions_are_accepted(string apiVersion)
    {
        await using var sim = await SimulatorHost.StartAsync();
        using var client = SimClient.Create(sim, key: null);

        using var response = await client.SendAsync(AzureRequest("sim-small", SimClient.Body(), apiVersion));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Theory]
    [InlineData(null, null)]
    [InlineData(null, "Bearer " + SimClient.Key)] // Azure's route takes api-key, not a bearer key
    [InlineData("sk-wrong", null)]
    [InlineData(" ", null)]
    public async Task Key_must_be_a_valid_api_key_header(string? apiKey, string? authorization)
    {
        await using var sim = await SimulatorHost.StartAsync(o => o.ApiKeys = [SimClient.Key]);
        using var client = SimClient.Create(sim, key: null);
        using var request = AzureRequest("sim-small", SimClient.Body(), ApiVersion, apiKey);
        if (authorization is not null)
        {
            request.Headers.TryAddWithoutValidation("Authorization", authorization);
        }

        using var response = await client.SendAsync(request);

        await AssertAzureErrorAsync(response, 401, "401",
            "Access denied due to invalid subscription key or wrong API endpoint. Make sure to provide a valid key for an active subscription and use a correct regional API endpoint for your resource.");
        Assert.Equal(1, sim.State.Unauthorized);
    }

    [Fact]
    public async Task Unknown_deployment_is_azures_404_unless_any_model_is_accepted()
    {
        await using var strict = await SimulatorHost.StartAsync();
        await using var lenient = await SimulatorHost.StartAsync(o => o.AcceptAnyModel = true);
        using var strictClient = SimClient.Create(strict, key: null);
        using var lenientClient = SimClient.Create(lenient, key: null);

        using var refused = await strictClient.SendAsync(AzureRequest("gpt-4o-prod", SimClient.Body()));
        using var served = await lenientClient.SendAsync(AzureRequest("gpt-4o-prod", SimClient.Body("hello world")));

        await AssertAzureErrorAsync(refused, 404, "DeploymentNotFound",
            "The API deployment for this resource does not exist. If you created the deployment within the last 5 minutes, please wait a moment and try again.");
        Assert.Empty(strict.State.RecentRequests); // refused before the body is read
        Assert.Equal(HttpStatusCode.OK, served.StatusCode);
        var json = await served.JsonAsync();
        Assert.Equal("gpt-4o-prod", json.GetProperty("model").GetString());
        // gpt-4o-prod is counted as OpenAI's table counts gpt-4o (o200k_base): the gpt-4o "hello world" prompt is 9.
        Assert.Equal(9, json.GetProperty("usage").GetProperty("prompt_tokens").GetInt32());
    }

    [Fact]
    public async Task Bad_body_and_faults_are_answered_as_on_the_openai_route()
    {
        await using var sim = await SimulatorHost.StartAsync();
        using var client = SimClient.Create(sim, key: null);

        using var bad = await client.SendAsync(AzureRequest("sim-small", """{"messages":[]}"""));
        using var limited = await client.SendAsync(AzureRequest("sim-small", SimClient.Body(), headers: [("x-sim-fault", "429"), ("x-sim-retry-after", "2")]));

        await SimClient.AssertErrorAsync(bad, 400, "invalid_request_error", "empty_array", "messages");
        await SimClient.AssertErrorAsync(limited, 429, "rate_limit_exceeded", "rate_limit_exceeded");
        Assert.Equal("2000", limited.Header("retry-after-ms"));
        Assert.Equal(1, sim.State.FaultsOf(SimFault.RateLimit429));
    }

    internal static HttpRequestMessage AzureRequest(string deployment, string body, string? apiVersion = ApiVersion, string? apiKey = SimClient.Key,
        (string Name, string Value)[]? headers = null)
    {
        var query = apiVersion is null ? "" : "?api-version=" + Uri.EscapeDataString(apiVersion);
        var request = new HttpRequestMessage(HttpMethod.Post, $"openai/deployments/{deployment}/chat/completions{query}")
        {
            Content = new StringContent(body, Encoding.UTF8, "application/json"),
        };
        if (apiKey is not null)
        {
            request.Headers.TryAddWithoutValidation("api-key", apiKey);
        }
        foreach (var (name, value) in headers ?? [])
        {
            request.Headers.Add(name, value);
        }
        return request;
    }

    private static async Task AssertAzureErrorAsync(HttpResponseMessage response, int status, string code, string message)
    {
        Assert.Equal(status, (int)response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        var error = (await response.JsonAsync()).GetProperty("error");
        Assert.Equal(2, error.EnumerateObject().Count());
        Assert.Equal(code, error.GetProperty("code").GetString());
        Assert.Equal(message, error.GetProperty("message").GetString());
    }
}
