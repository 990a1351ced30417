using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Parley.Silo.Tests.Infrastructure;
using Parley.Testing;
using Xunit;

namespace Parley.Silo.Tests.Routing;

/// <summary>The per-deployment circuit breaker with its default thresholds (5 % over 60 s, at least 20 calls, 300 s
/// break), driven by a manual clock: it opens, routing skips the deployment, and a trial call after the break closes it.</summary>
public sealed class CircuitBreakerTests
{
    private const string Model = "group";

    private static Task<RoutingHarness> StartAsync(ManualTimeProvider clock, int fallbackPriority = 1)
        => RoutingHarness.StartAsync(2, settings =>
        {
            RoutingHarness.Group(settings, Model, (0, 1, 0), (1, 1, fallbackPriority));
            RoutingHarness.Resilience(settings, 2, "Retry:MaxRetries", "0");
        }, (i, o) => o.ServerErrorRate = i == 0 ? 1.0 : 0, builder => builder.Services.AddSingleton<TimeProvider>(clock));

    [Fact]
    public async Task A_hard_failing_deployment_opens_its_circuit_and_gets_traffic_back_after_a_good_trial()
    {
        var clock = new ManualTimeProvider();
        await using var harness = await StartAsync(clock);
        var primary = harness.Upstreams[0];

        // Each call fails on the primary and is answered by the fallback; the 20th failure reaches the minimum throughput.
        for (var i = 0; i < 25; i++)
        {
            using var response = await harness.Client.PostChatAsync(Bodies.Simple(model: Model));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal(RoutingHarness.Provider(1), response.Header("x-parley-provider"));
            Assert.Equal(i < 20 ? "2" : "1", response.Header("x-parley-attempts"));
        }
        Assert.Equal(20, primary.State.RequestsReceived);
        var admin = harness.Silo.CreateClient(harness.Silo.AdminKey);
        using (var open = await admin.GetAsync("admin/deployments"))
        {
            var deployment = (await open.ReadJsonAsync()).GetProperty("data").EnumerateArray().Single(d => d.GetProperty("provider").GetString() == RoutingHarness.Provider(0));
            Assert.Equal("open", deployment.GetProperty("circuit").GetString());
            Assert.Equal(clock.GetUtcNow().AddSeconds(300), deployment.GetProperty("open_until").GetDateTimeOffset());
        }

        // Healed, but still resting: one second before the break ends it gets nothing.
        primary.Faults.Set(primary.Faults.Current with { ServerErrorRate = 0 });
        clock.Advance(TimeSpan.FromSeconds(299));
        using (var resting = await harness.Client.PostChatAsync(Bodies.Simple(model: Model)))
        {
            Assert.Equal(RoutingHarness.Provider(1), resting.Header("x-parley-provider"));
        }
        Assert.Equal(20, primary.State.RequestsReceived);

        clock.Advance(TimeSpan.FromSeconds(1));
        using (var trial = await harness.Client.PostChatAsync(Bodies.Simple(model: Model)))
        {
            Assert.Equal(HttpStatusCode.OK, trial.StatusCode);
            Assert.Equal(RoutingHarness.Provider(0), trial.Header("x-parley-provider"));
        }
        for (var i = 0; i < 5; i++)
        {
            using var response = await harness.Client.PostChatAsync(Bodies.Simple(model: Model));
            Assert.Equal(RoutingHarness.Provider(0), response.Header("x-parley-provider"));
        }
        Assert.Equal(26, primary.State.RequestsReceived);
        using var closed = await admin.GetAsync("admin/deployments");
        var healed = (await closed.ReadJsonAsync()).GetProperty("data").EnumerateArray().Single(d => d.GetProperty("provider").GetString() == RoutingHarness.Provider(0));
        Assert.Equal("closed", healed.GetProperty("circuit").GetString());
        Assert.Equal(System.Text.Json.JsonValueKind.Null, healed.GetProperty("open_until").ValueKind);
    }

    [Fact]
    public async Task A_failed_trial_opens_the_circuit_again()
    {
        var clock = new ManualTimeProvider();
        await using var harness = await StartAsync(clock);
        for (var i = 0; i < 20; i++)
        {
            using var response = await harness.Client.PostChatAsync(Bodies.Simple(model: Model));
        }

        clock.Advance(TimeSpan.FromSeconds(300));
        using (var trial = await harness.Client.PostChatAsync(Bodies.Simple(model: Model)))
        {
            Assert.Equal("2", trial.Header("x-parley-attempts"));
        }
        using (var after = await harness.Client.PostChatAsync(Bodies.Simple(model: Model)))
        {
            Assert.Equal("1", after.Header("x-parley-attempts"));
        }
        Assert.Equal(21, harness.Upstreams[0].State.RequestsReceived);
    }

    [Fact]
    public async Task With_every_circuit_open_the_answer_is_503_with_the_time_the_first_reopens()
    {
        var clock = new ManualTimeProvider();
        await using var harness = await RoutingHarness.StartAsync(1, settings =>
        {
            RoutingHarness.Group(settings, Model, (0, 1, 0));
            RoutingHarness.Resilience(settings, 1, "Retry:MaxRetries", "0");
            RoutingHarness.Resilience(settings, 1, "CircuitBreaker:BreakDuration", "00:00:30");
        }, (_, o) => o.ServerErrorRate = 1.0, builder => builder.Services.AddSingleton<TimeProvider>(clock));
        for (var i = 0; i < 20; i++)
        {
            using var failed = await harness.Client.PostChatAsync(Bodies.Simple(model: Model));
            Assert.Equal(HttpStatusCode.BadGateway, failed.StatusCode);
        }
        clock.Advance(TimeSpan.FromSeconds(10));

        using var response = await harness.Client.PostChatAsync(Bodies.Simple(model: Model));

        await response.AssertErrorAsync(HttpStatusCode.ServiceUnavailable, "upstream_unavailable", type: "upstream_error");
        Assert.Equal("20", response.Header("Retry-After"));
        Assert.Equal(20, harness.Upstreams[0].State.RequestsReceived);
    }
}
