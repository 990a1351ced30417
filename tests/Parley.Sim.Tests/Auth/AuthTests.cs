using System.Net;
using Parley.Sim.Hosting;
using Parley.Sim.Tests.Infrastructure;

namespace Parley.Sim.Tests.Auth;

public sealed class AuthTests
{
    [Theory]
    [InlineData(null)]
    [InlineData("Basic dXNlcjpwYXNz")]
    [InlineData("Bearer ")]
    [InlineData("Bearer    ")]
    public async Task Missing_key_is_a_401(string? authorization)
    {
        await using var sim = await SimulatorHost.StartAsync();
        using var client = SimClient.Create(sim, key: null);
        using var request = SimClient.ChatRequest(SimClient.Body());
        if (authorization is not null)
        {
            request.Headers.TryAddWithoutValidation("Authorization", authorization);
        }

        using var response = await client.SendAsync(request);

        var error = await SimClient.AssertErrorAsync(response, 401, "invalid_request_error", null);
        Assert.Contains("didn't provide an API key", error.GetProperty("message").GetString());
        Assert.Equal(1, sim.State.Unauthorized);
        Assert.Equal(1, sim.State.RequestsReceived);
    }

    [Fact]
    public async Task Unknown_key_is_a_401_invalid_api_key_that_does_not_echo_the_key()
    {
        await using var sim = await SimulatorHost.StartAsync(o => o.ApiKeys = ["sk-good-1", "sk-good-2"]);
        using var client = SimClient.Create(sim, key: "sk-wrong-secret");

        using var response = await client.PostChatAsync(SimClient.Body());
        using var models = await client.GetAsync("v1/models");
        using var stats = await client.GetAsync("sim/stats");

        var error = await SimClient.AssertErrorAsync(response, 401, "invalid_request_error", "invalid_api_key");
        Assert.DoesNotContain("sk-wrong-secret", error.GetProperty("message").GetString());
        await SimClient.AssertErrorAsync(models, 401, "invalid_request_error", "invalid_api_key");
        await SimClient.AssertErrorAsync(stats, 401, "invalid_request_error", "invalid_api_key");
        Assert.Equal(0, sim.State.RequestsFor("sk-wrong-secret"));
    }

    [Fact]
    public async Task Configured_keys_are_accepted_and_counted_per_key()
    {
        await using var sim = await SimulatorHost.StartAsync(o => o.ApiKeys = ["sk-good-1", "sk-good-2"]);
        using var first = SimClient.Create(sim, key: "sk-good-1");
        using var second = SimClient.Create(sim, key: "sk-good-2");

        using var a = await first.PostChatAsync(SimClient.Body());
        using var b = await second.PostChatAsync(SimClient.Body());
        using var c = await second.PostChatAsync(SimClient.Body());

        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.OK], new[] { a.StatusCode, b.StatusCode, c.StatusCode });
        Assert.Equal(1, sim.State.RequestsFor("sk-good-1"));
        Assert.Equal(2, sim.State.RequestsFor("sk-good-2"));
    }

    [Fact]
    public async Task Any_non_empty_key_is_accepted_when_none_are_configured()
    {
        await using var sim = await SimulatorHost.StartAsync();
        using var client = SimClient.Create(sim, key: "anything");

        using var response = await client.PostChatAsync(SimClient.Body());

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(1, sim.State.RequestsFor("anything"));
    }
}
