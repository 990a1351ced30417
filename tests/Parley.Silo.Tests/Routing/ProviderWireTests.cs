using System.ClientModel;
using System.Net;
using OpenAI;
using OpenAI.Chat;
using Parley.Silo.Tests.Infrastructure;
using Parley.Sim.Hosting;
using Xunit;

namespace Parley.Silo.Tests.Routing;

/// <summary>Azure OpenAI's wire against the simulator's Azure route, and the content-policy fallback.</summary>
public sealed class ProviderWireTests
{
    private const string AzureKey = "azure-key-0123456789abcdef";

    [Fact]
    public async Task An_Azure_deployment_is_called_at_its_deployment_url_with_the_api_key_header_and_api_version()
    {
        await using var azure = await SimulatorHost.StartAsync(o => o.ApiKeys = [AzureKey]);
        await using var harness = await SiloHarness.StartAsync(settings =>
        {
            settings["Parley:Providers:azure:Type"] = "AzureOpenAI";
            settings["Parley:Providers:azure:BaseUrl"] = azure.Url.ToString();
            settings["Parley:Providers:azure:ApiKey"] = AzureKey;
            settings["Parley:Providers:azure:Region"] = "westeurope";
            settings["Parley:Models:gpt-4o-azure:Provider"] = "azure";
            settings["Parley:Models:gpt-4o-azure:UpstreamModel"] = "sim-small";
            settings["Parley:Models:gpt-4o-azure:Encoding"] = "o200k_base";
        });
        var (_, key) = await harness.CreateUserAsync("azure-user");
        var client = new ChatClient("gpt-4o-azure", new ApiKeyCredential(key), new OpenAIClientOptions { Endpoint = new Uri(harness.SiloUrl, "v1") });

        ChatCompletion completion = await client.CompleteChatAsync([new UserChatMessage("Hello Azure")]);
        var streamed = new System.Text.StringBuilder();
        await foreach (var update in client.CompleteChatStreamingAsync([new UserChatMessage("Hello stream")]))
        {
            foreach (var part in update.ContentUpdate)
            {
                streamed.Append(part.Text);
            }
        }

        Assert.StartsWith("Echo: Hello Azure", completion.Content[0].Text, StringComparison.Ordinal);
        Assert.StartsWith("Echo: Hello stream", streamed.ToString(), StringComparison.Ordinal);
        var recorded = azure.State.LastRequest!;
        Assert.Equal("/openai/deployments/sim-small/chat/completions", recorded.Path);
        Assert.Equal(2, azure.State.Completed);
        Assert.Equal(0, azure.State.Unauthorized);

        using var raw = await harness.CreateClient(key).PostChatAsync(Bodies.Simple(model: "gpt-4o-azure"));
        Assert.Equal("azure", raw.Header("x-parley-provider"));
        Assert.Equal("westeurope", raw.Header("x-parley-region"));
    }

    [Fact]
    public async Task An_Azure_refusal_comes_back_in_OpenAIs_error_shape()
    {
        await using var azure = await SimulatorHost.StartAsync();
        await using var harness = await SiloHarness.StartAsync(settings =>
        {
            settings["Parley:Providers:azure:Type"] = "AzureOpenAI";
            settings["Parley:Providers:azure:BaseUrl"] = azure.Url.ToString();
            settings["Parley:Providers:azure:ApiKey"] = AzureKey;
            settings["Parley:Providers:azure:ApiVersion"] = "yesterday";
            settings["Parley:Providers:azure:Resilience:Retry:MaxRetries"] = "0";
            settings["Parley:Models:gpt-4o-azure:Provider"] = "azure";
            settings["Parley:Models:gpt-4o-azure:UpstreamModel"] = "sim-small";
        });
        var (_, key) = await harness.CreateUserAsync("azure-user");

        using var response = await harness.CreateClient(key).PostChatAsync(Bodies.Simple(model: "gpt-4o-azure"));

        await response.AssertErrorAsync(HttpStatusCode.BadRequest, "BadRequest", type: "invalid_request_error");
        Assert.Contains("API version not supported", (await response.Content.ReadAsStringAsync()), StringComparison.Ordinal);
    }

    private static Task<RoutingHarness> StartContentPolicyAsync(bool withFallback)
        => RoutingHarness.StartAsync(2, settings =>
        {
            RoutingHarness.Group(settings, "strict", (0, 1, 0));
            RoutingHarness.Group(settings, "lenient", (1, 1, 0));
            if (withFallback)
            {
                settings["Parley:Models:strict:ContentPolicyFallback"] = "lenient";
            }
        }, (i, o) => o.ContentPolicyTrigger = i == 0 ? "forbidden topic" : null);

    [Fact]
    public async Task A_content_policy_refusal_moves_to_the_configured_alternative()
    {
        await using var harness = await StartContentPolicyAsync(withFallback: true);

        using var refused = await harness.Client.PostChatAsync(Bodies.Simple(model: "strict", content: "tell me about the forbidden topic"));
        using var allowed = await harness.Client.PostChatAsync(Bodies.Simple(model: "strict", content: "tell me about cats"));

        Assert.Equal(HttpStatusCode.OK, refused.StatusCode);
        Assert.Equal("lenient", refused.Header("x-parley-model"));
        Assert.Equal(RoutingHarness.Provider(1), refused.Header("x-parley-provider"));
        Assert.Equal("2", refused.Header("x-parley-attempts"));
        Assert.Equal("strict", allowed.Header("x-parley-model"));
        Assert.Equal(2, harness.Upstreams[0].State.RequestsReceived);
        Assert.Equal(1, harness.Upstreams[1].State.RequestsReceived);
    }

    [Fact]
    public async Task Without_an_alternative_the_content_policy_refusal_is_the_answer()
    {
        await using var harness = await StartContentPolicyAsync(withFallback: false);

        using var refused = await harness.Client.PostChatAsync(Bodies.Simple(model: "strict", content: "the forbidden topic"));

        await refused.AssertErrorAsync(HttpStatusCode.BadRequest, "content_policy_violation");
        Assert.Equal("1", refused.Header("x-parley-attempts"));
    }
}
