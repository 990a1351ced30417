using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Parley.Sim.Hosting;
using Parley.Sim.Observability;
using Parley.Sim.Tests.Infrastructure;

namespace Parley.Sim.Tests.Hosting;

public sealed class MapSimulatorTests
{
    [Fact]
    public async Task Simulator_maps_under_a_prefix_of_a_host_app_without_clashing_with_its_routes()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Services.AddSimulator(new ConfigurationBuilder().Build(), o => o.ResponseTokens = 4);
        await using var app = builder.Build();
        app.MapGet("/v1/models", () => "the host's own route");
        app.MapSimulator("/upstream");
        await app.StartAsync();
        var url = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First();
        using var client = new HttpClient { BaseAddress = new Uri(url + "/") };
        client.DefaultRequestHeaders.Authorization = new("Bearer", SimClient.Key);

        using var chat = await client.PostAsync("upstream/v1/chat/completions", new StringContent(SimClient.Body("hi")));
        using var azure = new HttpRequestMessage(HttpMethod.Post, "upstream/openai/deployments/sim-small/chat/completions?api-version=2024-10-21")
        {
            Content = new StringContent(SimClient.Body("hi")),
        };
        azure.Headers.Add("api-key", SimClient.Key);
        using var azureResponse = await client.SendAsync(azure);
        using var messages = new HttpRequestMessage(HttpMethod.Post, "upstream/v1/messages") { Content = new StringContent(AnthropicSimClient.Body("hi")) };
        messages.Headers.Add("anthropic-version", AnthropicSimClient.Version);
        using var messagesResponse = await client.SendAsync(messages); // the bearer key serves the Messages API too
        using var faults = await client.GetAsync("upstream/sim/faults");
        var hostRoute = await client.GetStringAsync("v1/models");
        var models = await (await client.GetAsync("upstream/v1/models")).JsonAsync();

        Assert.Equal(HttpStatusCode.OK, chat.StatusCode);
        Assert.Equal("Echo: hi lorem", (await chat.JsonAsync()).GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString());
        Assert.Equal("Echo: hi lorem", (await azureResponse.JsonAsync()).GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString());
        Assert.Equal("Echo: hi lorem", (await messagesResponse.JsonAsync()).GetProperty("content")[0].GetProperty("text").GetString());
        Assert.Equal(HttpStatusCode.OK, faults.StatusCode);
        Assert.Equal("the host's own route", hostRoute);
        Assert.Equal(2, models.GetProperty("data").GetArrayLength());
        Assert.Equal(3, app.Services.GetRequiredService<SimulatorState>().Completed);
        await app.StopAsync();
    }
}
