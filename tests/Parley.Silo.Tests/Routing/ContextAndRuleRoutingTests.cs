using System.Net;
using Parley.Silo.Tests.Infrastructure;
using Xunit;

namespace Parley.Silo.Tests.Routing;

/// <summary>Deployments chosen by the prompt: by context window (before the call, or after the upstream's
/// <c>context_length_exceeded</c>), and by request rules.</summary>
public sealed class ContextAndRuleRoutingTests
{
    private const string Model = "ctx";
    private const int SmallWindow = 200;

    private static Task<RoutingHarness> StartWindowsAsync(bool estimated)
        => RoutingHarness.StartAsync(2, settings =>
        {
            RoutingHarness.Group(settings, Model, (0, 1, 0), (1, 1, 0));
            settings[$"Parley:Models:{Model}:Deployments:0:ContextWindow"] = SmallWindow.ToString(System.Globalization.CultureInfo.InvariantCulture);
            settings[$"Parley:Models:{Model}:Deployments:1:ContextWindow"] = "100000";
            if (estimated)
            {
                settings[$"Parley:Models:{Model}:EstimateTokens"] = "true";
            }
        }, (i, o) => o.ContextWindow = i == 0 ? SmallWindow : 100_000);

    private static string LongPrompt => string.Join(' ', Enumerable.Repeat("word", 300));

    [Fact]
    public async Task A_prompt_too_long_for_one_deployment_goes_to_the_one_that_fits()
    {
        await using var harness = await StartWindowsAsync(estimated: false);

        for (var i = 0; i < 4; i++)
        {
            using var response = await harness.Client.PostChatAsync(Bodies.Simple(model: Model, content: LongPrompt));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal(RoutingHarness.Provider(1), response.Header("x-parley-provider"));
            Assert.Equal("1", response.Header("x-parley-attempts"));
        }
        Assert.Equal(0, harness.Upstreams[0].State.RequestsReceived);
    }

    [Fact]
    public async Task An_upstream_context_length_refusal_moves_the_call_to_a_larger_window()
    {
        // Estimated counts are not trusted to pre-route: the small deployment is asked and refuses.
        await using var harness = await StartWindowsAsync(estimated: true);

        using var response = await harness.Client.PostChatAsync(Bodies.Simple(model: Model, content: LongPrompt));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(RoutingHarness.Provider(1), response.Header("x-parley-provider"));
        Assert.Equal("2", response.Header("x-parley-attempts"));
        Assert.Equal(1, harness.Upstreams[0].State.BadRequests);
    }

    [Fact]
    public async Task A_prompt_that_fits_no_deployment_is_refused_before_any_call()
    {
        await using var harness = await StartWindowsAsync(estimated: false);

        using var response = await harness.Client.PostChatAsync(
            $$"""{"model":"{{Model}}","messages":[{"role":"user","content":"{{LongPrompt}}"}],"max_completion_tokens":100000}""");

        await response.AssertErrorAsync(HttpStatusCode.BadRequest, "context_length_exceeded", "messages");
        Assert.Equal(0, harness.Upstreams[0].State.RequestsReceived + harness.Upstreams[1].State.RequestsReceived);
    }

    private static Task<RoutingHarness> StartRulesAsync()
        => RoutingHarness.StartAsync(2, settings =>
        {
            RoutingHarness.Group(settings, "cheap", (0, 1, 0));
            RoutingHarness.Group(settings, "big", (1, 1, 0));
            settings["Parley:Routing:Rules:0:Name"] = "short-without-tools";
            settings["Parley:Routing:Rules:0:Model"] = "auto";
            settings["Parley:Routing:Rules:0:MaxPromptTokens"] = "50";
            settings["Parley:Routing:Rules:0:HasTools"] = "false";
            settings["Parley:Routing:Rules:0:Target"] = "cheap";
            settings["Parley:Routing:Rules:1:Name"] = "default";
            settings["Parley:Routing:Rules:1:Model"] = "auto";
            settings["Parley:Routing:Rules:1:Target"] = "big";
            settings["Parley:Routing:Rules:2:Name"] = "big-streams-to-cheap";
            settings["Parley:Routing:Rules:2:Model"] = "big";
            settings["Parley:Routing:Rules:2:Stream"] = "true";
            settings["Parley:Routing:Rules:2:Target"] = "cheap";
        });

    private const string Tools = ""","tools":[{"type":"function","function":{"name":"lookup","parameters":{"type":"object","properties":{}}}}]""";

    [Theory]
    [InlineData("hi", "", "cheap", "short-without-tools", 0)]
    [InlineData("hi", Tools, "big", "default", 1)]
    [InlineData(null, "", "big", "default", 1)]
    public async Task Rules_pick_the_model_from_the_request(string? content, string extra, string model, string rule, int upstream)
    {
        await using var harness = await StartRulesAsync();
        var text = content ?? LongPrompt;

        using var response = await harness.Client.PostChatAsync($$"""{"model":"auto","messages":[{"role":"user","content":"{{text}}"}]{{extra}}}""");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(model, response.Header("x-parley-model"));
        Assert.Equal(rule, response.Header("x-parley-route"));
        Assert.Equal(RoutingHarness.Provider(upstream), response.Header("x-parley-provider"));
        Assert.Equal(1, harness.Upstreams[upstream].State.RequestsReceived);
        Assert.Contains($"\"model\":\"{RoutingHarness.UpstreamModel}\"", harness.Upstreams[upstream].State.LastRequest!.Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_rule_on_a_real_model_applies_only_when_it_matches()
    {
        await using var harness = await StartRulesAsync();

        using var plain = await harness.Client.PostChatAsync(Bodies.Simple(model: "big"));
        using var streamed = await harness.Client.PostChatAsync(Bodies.Simple(stream: true, model: "big"));

        Assert.Equal("big", plain.Header("x-parley-model"));
        Assert.Null(plain.Header("x-parley-route"));
        Assert.Equal("cheap", streamed.Header("x-parley-model"));
        Assert.Equal("big-streams-to-cheap", streamed.Header("x-parley-route"));
    }

    [Fact]
    public async Task A_name_served_by_rules_is_listed_as_a_model()
    {
        await using var harness = await StartRulesAsync();

        using var response = await harness.Client.GetAsync("v1/models");

        var ids = (await response.ReadJsonAsync()).GetProperty("data").EnumerateArray().Select(m => m.GetProperty("id").GetString()).ToList();
        Assert.Contains("auto", ids);
        Assert.Contains("cheap", ids);
    }
}
