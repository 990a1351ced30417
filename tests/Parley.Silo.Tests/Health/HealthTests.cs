using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Parley.Silo.Health;
using Parley.Silo.Tests.Infrastructure;
using Parley.Testing;
using Xunit;

namespace Parley.Silo.Tests.Health;

/// <summary>The probes and graceful shutdown, against real silos. Time-based shutdown behaviour is driven by a
/// <see cref="ManualTimeProvider"/> given to the silo.</summary>
public sealed class HealthTests
{
    [Fact]
    public async Task Probes_answer_200_without_a_key()
    {
        await using var harness = await SiloHarness.StartAsync();
        var client = harness.CreateClient(key: null);

        foreach (var path in new[] { "health/live", "health/startup", "health/ready" })
        {
            using var response = await client.GetAsync(path);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var json = await response.ReadJsonAsync();
            Assert.Equal("healthy", json.GetProperty("status").GetString());
            Assert.Equal(0, json.GetProperty("reasons").GetArrayLength());
        }
    }

    [Fact]
    public async Task Ready_fails_once_the_silo_starts_stopping_while_live_stays_up()
    {
        await using var harness = await SiloHarness.StartAsync();
        var client = harness.CreateClient(key: null);

        // Signals shutdown without stopping the server (the harness's host is not waiting for it), so the probes
        // can be read while the silo drains.
        harness.Services.GetRequiredService<IHostApplicationLifetime>().StopApplication();

        using var ready = await client.GetAsync("health/ready");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
        var json = await ready.ReadJsonAsync();
        Assert.Equal("unhealthy", json.GetProperty("status").GetString());
        Assert.Contains(json.GetProperty("reasons").EnumerateArray(), r => r.GetString()!.StartsWith("draining", StringComparison.Ordinal));
        using var live = await client.GetAsync("health/live");
        Assert.Equal(HttpStatusCode.OK, live.StatusCode);
    }

    [Fact]
    public async Task An_in_flight_stream_finishes_during_a_graceful_shutdown()
    {
        // About a second of streaming: long enough to still be running when the stop begins.
        await using var harness = await SiloHarness.StartAsync(configureSimulator: o => { o.ResponseTokens = 20; o.TokensPerSecond = 20; });
        var (_, key) = await harness.CreateUserAsync("streamer");
        var client = harness.CreateClient(key);
        using var response = await client.PostChatAsync(Bodies.Simple(stream: true), completion: HttpCompletionOption.ResponseHeadersRead);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        Assert.StartsWith("data: ", await reader.ReadLineAsync());

        var stopping = harness.Silo.StopAsync();
        var rest = await reader.ReadToEndAsync();
        await stopping;

        Assert.Equal("[DONE]", Http.DataEvents(rest)[^1]);
        Assert.True(harness.Services.GetRequiredService<SiloLifecycleState>().Draining);
    }

    [Fact]
    public async Task A_stream_still_running_when_the_grace_period_ends_is_cut_so_the_silo_can_stop()
    {
        var time = new ManualTimeProvider(DateTimeOffset.UtcNow);
        // The simulator would stream for 50 s; the grace period (on the silo's manual clock) ends first.
        await using var harness = await SiloHarness.StartAsync(
            s => s["Parley:Shutdown:GracePeriod"] = "00:00:10",
            o => { o.ResponseTokens = 100; o.TokensPerSecond = 2; },
            b => b.Services.AddSingleton<TimeProvider>(time));
        var (_, key) = await harness.CreateUserAsync("long-streamer");
        var client = harness.CreateClient(key);
        using var response = await client.PostChatAsync(Bodies.Simple(stream: true), completion: HttpCompletionOption.ResponseHeadersRead);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        Assert.StartsWith("data: ", await reader.ReadLineAsync());

        var stopping = harness.Silo.StopAsync();
        var lifecycle = harness.Services.GetRequiredService<SiloLifecycleState>();
        Assert.True(lifecycle.Draining);
        time.Advance(TimeSpan.FromSeconds(10));
        var rest = await reader.ReadToEndAsync();
        await stopping.WaitAsync(TimeSpan.FromSeconds(20));

        var events = Http.DataEvents(rest);
        Assert.DoesNotContain("[DONE]", events);
        Assert.Contains("upstream_stream_cut", events[^1], StringComparison.Ordinal);
        Assert.Contains("shutdown grace period over", events[^1], StringComparison.Ordinal);
    }
}
