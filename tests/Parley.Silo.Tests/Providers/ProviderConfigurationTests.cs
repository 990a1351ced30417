using System.Net;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;
using Parley.Silo.Tests.Infrastructure;
using Xunit;

namespace Parley.Silo.Tests.Providers;

/// <summary>Provider and model configuration: validated at start, and the embedded simulator of the first run.</summary>
public sealed class ProviderConfigurationTests
{
    [Theory]
    [InlineData("Parley:Models:orphan:Provider", "nowhere", "Parley:Models:orphan:Provider 'nowhere' is not a configured provider")]
    [InlineData("Parley:Providers:sim:Type", "Cohere", "Parley:Providers:sim:Type 'Cohere' is not supported (supported: OpenAI, AzureOpenAI, Anthropic)")]
    [InlineData("Parley:Providers:sim:BaseUrl", "not a url", "Parley:Providers:sim:BaseUrl must be an absolute http(s) URL")]
    [InlineData("Parley:Providers:sim:Resilience:FirstByteTimeout", "00:00:00", "Parley:Providers:sim:Resilience:FirstByteTimeout must be between 10 ms and 24 h")]
    [InlineData("Parley:Providers:sim:Resilience:CircuitBreaker:FailureRatio", "0", "Parley:Providers:sim:Resilience:CircuitBreaker:FailureRatio must be in (0, 1]")]
    [InlineData("Parley:Providers:sim:Resilience:Retry:MaxRetries", "-1", "Parley:Providers:sim:Resilience:Retry:MaxRetries must be between 0 and 20")]
    [InlineData("Parley:Models:parley-sim:Deployments:0:Provider", "sim", "Parley:Models:parley-sim: set either Provider/UpstreamModel (one deployment) or Deployments, not both")]
    [InlineData("Parley:Models:parley-sim:ContentPolicyFallback", "nowhere", "Parley:Models:parley-sim:ContentPolicyFallback 'nowhere' must name another configured model")]
    [InlineData("Parley:Routing:Rules:0:Model", "auto", "Parley:Routing:Rules:0:Target '' is not a configured model")]
    [InlineData("Parley:Limits:MaxRequestBodyBytes", "0", "Parley:Limits:MaxRequestBodyBytes must be between 1")]
    public async Task Invalid_configuration_stops_the_silo_at_start(string key, string value, string expected)
    {
        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => SiloHarness.StartAsync(s => s[key] = value));

        Assert.Contains(error.Failures, f => f.Contains(expected, StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_embedded_simulator_serves_parley_sim_with_no_provider_configured()
    {
        var app = SiloApplication.Build(["--urls", "http://127.0.0.1:0"], builder => builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Logging:LogLevel:Default"] = "Warning",
            ["Parley:Simulator:Enabled"] = "true",
            ["Parley:Simulator:ResponseTokens"] = "4",
            ["Parley:Auth:AdminKey"] = "sk-parley-admin-embedded-test-key",
            ["Parley:Auth:BootstrapUserKey"] = "sk-parley-user-embedded-test-key",
            ["Parley:Telemetry:Metrics:Enabled"] = "false",
        }));
        await using (app)
        {
            await app.StartAsync();
            try
            {
                var address = app.Urls.First();
                using var client = new HttpClient { BaseAddress = new Uri(address.TrimEnd('/') + "/") };
                client.DefaultRequestHeaders.Authorization = new("Bearer", "sk-parley-user-embedded-test-key");

                using var models = await client.GetAsync("v1/models");
                var listed = (await models.ReadJsonAsync()).GetProperty("data").EnumerateArray().ToList();
                var model = Assert.Single(listed);
                Assert.Equal("parley-sim", model.GetProperty("id").GetString());
                Assert.Equal("parley-simulator", model.GetProperty("owned_by").GetString());

                using var completion = await client.PostChatAsync(Bodies.Simple());
                Assert.Equal(HttpStatusCode.OK, completion.StatusCode);
                Assert.Equal("simulator", completion.Header("x-parley-provider"));
                var json = await completion.ReadJsonAsync();
                Assert.Equal(4, json.GetProperty("usage").GetProperty("completion_tokens").GetInt32());

                using var streamed = await client.PostChatAsync(Bodies.Simple(stream: true));
                Assert.Equal("[DONE]", Http.DataEvents(await streamed.Content.ReadAsStringAsync())[^1]);
            }
            finally
            {
                await app.StopAsync();
            }
        }
    }
}
