using System.Net;
using Parley.Silo.Tests.Infrastructure;
using Parley.Sim.Faults;
using Parley.Testing;
using Xunit;

namespace Parley.Silo.Tests.Routing;

/// <summary>Retries on one deployment and fallback to the next, by failure class, against real simulators.</summary>
public sealed class RetryAndFallbackTests
{
    private const string Model = "group";

    private static Task<RoutingHarness> StartAsync(Action<IDictionary<string, string?>>? configure = null, Action<int, Sim.Hosting.SimulatorOptions>? upstream = null)
        => RoutingHarness.StartAsync(2, settings =>
        {
            RoutingHarness.Group(settings, Model, (0, 1, 0), (1, 1, 1));
            RoutingHarness.Resilience(settings, 2, "Retry:MaxRetries", "2");
            RoutingHarness.Resilience(settings, 2, "CircuitBreaker:Enabled", "false");
            configure?.Invoke(settings);
        }, upstream);

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_failing_deployment_is_retried_then_the_fallback_answers(bool stream)
    {
        await using var harness = await StartAsync(upstream: (i, o) => o.ServerErrorRate = i == 0 ? 1.0 : 0);

        using var response = await harness.Client.PostChatAsync(Bodies.Simple(stream, Model));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(RoutingHarness.Provider(1), response.Header("x-parley-provider"));
        Assert.Equal(Model, response.Header("x-parley-model"));
        Assert.Equal(RoutingHarness.UpstreamModel, response.Header("x-parley-upstream-model"));
        // One attempt and two retries on the first deployment, one attempt on the fallback.
        Assert.Equal("4", response.Header("x-parley-attempts"));
        Assert.Equal(3, harness.Upstreams[0].State.RequestsReceived);
        Assert.Equal(1, harness.Upstreams[1].State.RequestsReceived);
        var body = await response.Content.ReadAsStringAsync();
        Assert.Contains(stream ? "data: [DONE]" : "Echo: Hello", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_connection_cut_before_the_first_byte_is_retried_on_the_same_deployment()
    {
        await using var harness = await StartAsync(upstream: (i, o) =>
        {
            if (i == 0)
            {
                o.CutBeforeFirstByteRate = 0.5;
                o.FaultSeed = 7;
            }
        });

        for (var i = 0; i < 20; i++)
        {
            using var response = await harness.Client.PostChatAsync(Bodies.Simple(stream: true, Model));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var events = Http.DataEvents(await response.Content.ReadAsStringAsync());
            Assert.Equal("[DONE]", events[^1]);
        }

        var sim = harness.Upstreams[0].State;
        // Every cut was retried (at most twice in a row here, so the fallback was never needed).
        Assert.Equal(20, sim.Completed);
        Assert.Equal(sim.RequestsReceived - 20, sim.FaultsOf(SimFault.CutBeforeFirstByte));
        Assert.True(sim.FaultsOf(SimFault.CutBeforeFirstByte) > 0);
        Assert.Equal(0, harness.Upstreams[1].State.RequestsReceived);
    }

    [Fact]
    public async Task A_stream_cut_after_its_first_byte_is_never_retried()
    {
        await using var harness = await StartAsync();

        using var response = await harness.Client.PostChatAsync(Bodies.Simple(stream: true, Model), r => r.Headers.Add(SimHeaders.Fault, "cut-mid-stream"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var events = Http.DataEvents(await response.Content.ReadAsStringAsync());
        Assert.Contains("upstream_stream_cut", events[^1], StringComparison.Ordinal);
        Assert.DoesNotContain("[DONE]", events);
        Assert.Equal(1, harness.Upstreams[0].State.RequestsReceived);
        Assert.Equal(0, harness.Upstreams[1].State.RequestsReceived);
    }

    [Fact]
    public async Task A_client_error_is_answered_at_once_without_retry_or_fallback()
    {
        await using var harness = await StartAsync();

        using var response = await harness.Client.PostChatAsync($$"""{"model":"{{Model}}","messages":[{"role":"user","content":"hi"}],"temperature":3}""");

        await response.AssertErrorAsync(HttpStatusCode.BadRequest, "decimal_above_max_value", "temperature");
        Assert.Equal("1", response.Header("x-parley-attempts"));
        Assert.Equal(1, harness.Upstreams[0].State.RequestsReceived);
        Assert.Equal(0, harness.Upstreams[1].State.RequestsReceived);
    }

    [Fact]
    public async Task A_deployment_whose_key_is_refused_gives_way_to_the_next()
    {
        await using var harness = await StartAsync(upstream: (i, o) => o.ApiKeys = i == 0 ? ["sk-some-other-key"] : []);

        using var response = await harness.Client.PostChatAsync(Bodies.Simple(model: Model));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(RoutingHarness.Provider(1), response.Header("x-parley-provider"));
        // 401 is never retried on the same deployment.
        Assert.Equal(1, harness.Upstreams[0].State.Unauthorized);
        Assert.Equal("2", response.Header("x-parley-attempts"));
    }

    [Fact]
    public async Task A_key_the_upstream_says_is_spent_is_waited_for_rather_than_refused()
    {
        await using var harness = await StartAsync(upstream: (i, o) =>
        {
            o.RequestsPerWindow = 1;
            o.RateLimitWindow = TimeSpan.FromSeconds(1);
        });
        using (var first = await harness.Client.PostChatAsync(Bodies.Simple(model: Model)))
        {
            Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        }

        var started = DateTime.UtcNow;
        using var response = await harness.Client.PostChatAsync(Bodies.Simple(model: Model));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(RoutingHarness.Provider(0), response.Header("x-parley-provider"));
        Assert.True(DateTime.UtcNow - started >= TimeSpan.FromSeconds(0.9), "the call waited for the window");
        // The first answer's x-ratelimit-remaining-requests: 0 and reset paced the key: the upstream never said 429.
        Assert.Equal(0, harness.Upstreams[0].State.RateLimited);
        Assert.Equal(2, harness.Upstreams[0].State.Completed);
        Assert.Equal(0, harness.Upstreams[1].State.RequestsReceived);
    }

    [Fact]
    public async Task A_key_spent_for_longer_than_the_bound_moves_the_call_to_the_next_deployment_at_once()
    {
        await using var harness = await StartAsync(settings =>
        {
            RoutingHarness.Resilience(settings, 2, "Retry:MaxRetryAfter", "00:00:01");
            settings[$"Parley:Providers:{RoutingHarness.Provider(0)}:Pool:MaxPacingWait"] = "00:00:01";
        }, (i, o) =>
        {
            o.RequestsPerWindow = 1;
            o.RateLimitWindow = TimeSpan.FromMinutes(1);
        });
        using (var first = await harness.Client.PostChatAsync(Bodies.Simple(model: Model)))
        {
            Assert.Equal(RoutingHarness.Provider(0), first.Header("x-parley-provider"));
        }

        var started = DateTime.UtcNow;
        using var response = await harness.Client.PostChatAsync(Bodies.Simple(model: Model));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(RoutingHarness.Provider(1), response.Header("x-parley-provider"));
        Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(1), "no wait for a minute-long reset");
        Assert.Equal(1, harness.Upstreams[0].State.RequestsReceived);
    }

    [Fact]
    public async Task When_every_deployment_fails_the_client_gets_the_last_refusal()
    {
        await using var harness = await StartAsync(upstream: (i, o) => o.ServerErrorRate = 1.0);

        using var response = await harness.Client.PostChatAsync(Bodies.Simple(model: Model));

        await response.AssertErrorAsync(HttpStatusCode.BadGateway, "upstream_error", type: "upstream_error");
        Assert.Equal(RoutingHarness.Provider(1), response.Header("x-parley-provider"));
        Assert.Equal("6", response.Header("x-parley-attempts"));
    }

    [Fact]
    public async Task A_first_byte_timeout_is_retried_and_then_falls_back()
    {
        await using var harness = await StartAsync(settings =>
        {
            RoutingHarness.Resilience(settings, 2, "FirstByteTimeout", "00:00:00.300");
            RoutingHarness.Resilience(settings, 2, "Retry:MaxRetries", "1");
        }, (i, o) => o.TimeoutRate = i == 0 ? 1.0 : 0);

        using var response = await harness.Client.PostChatAsync(Bodies.Simple(stream: true, Model));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(RoutingHarness.Provider(1), response.Header("x-parley-provider"));
        Assert.Equal("3", response.Header("x-parley-attempts"));
        // The simulator counts a fault once it has read the request; on a loaded machine the silo's 300 ms can end first,
        // so the count is read once it has settled (it never goes past 2).
        await Poll.UntilAsync(() => harness.Upstreams[0].State.FaultsOf(SimFault.Timeout) >= 2, "the simulator counted both timeouts", TimeSpan.FromSeconds(10));
        Assert.Equal(2, harness.Upstreams[0].State.FaultsOf(SimFault.Timeout));
    }
}
