using System.Diagnostics;
using System.Net;
using Parley.Silo.Tests.Infrastructure;
using Xunit;

namespace Parley.Silo.Tests.Routing;

/// <summary>The stall and total timeouts of an answer that has started (the first-byte timeout is in
/// <see cref="RetryAndFallbackTests"/>): the stream is ended as cut, never retried, never left hanging.</summary>
public sealed class TimeoutTests
{
    private const string Model = "slow";

    private static Task<RoutingHarness> StartAsync(string stall, string total, double tokensPerSecond)
        => RoutingHarness.StartAsync(1, settings =>
        {
            RoutingHarness.Group(settings, Model, (0, 1, 0));
            RoutingHarness.Resilience(settings, 1, "StallTimeout", stall);
            RoutingHarness.Resilience(settings, 1, "TotalTimeout", total);
            RoutingHarness.Resilience(settings, 1, "FirstByteTimeout", "00:00:00.500");
        }, (_, o) =>
        {
            o.TokensPerSecond = tokensPerSecond;
            o.ResponseTokens = 40;
        });

    [Fact]
    public async Task A_stream_that_stalls_between_chunks_is_cut_with_an_error_event()
    {
        // 2 tokens a second: half a second between chunks, past the 200 ms stall bound.
        await using var harness = await StartAsync(stall: "00:00:00.200", total: "00:01:00", tokensPerSecond: 2);

        using var response = await harness.Client.PostChatAsync(Bodies.Simple(stream: true, Model));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var events = Http.DataEvents(await response.Content.ReadAsStringAsync());
        Assert.DoesNotContain("[DONE]", events);
        Assert.Contains("upstream_stream_cut", events[^1], StringComparison.Ordinal);
        Assert.Contains("timeout", events[^1], StringComparison.Ordinal);
        Assert.Equal(1, harness.Upstreams[0].State.RequestsReceived);
    }

    [Fact]
    public async Task The_total_timeout_bounds_a_stream_that_keeps_producing()
    {
        // 20 tokens a second for 40 tokens is a 2 s stream that never stalls for long; the whole call may take 700 ms.
        await using var harness = await StartAsync(stall: "00:00:01", total: "00:00:00.700", tokensPerSecond: 20);
        var watch = Stopwatch.StartNew();

        using var response = await harness.Client.PostChatAsync(Bodies.Simple(stream: true, Model));
        var events = Http.DataEvents(await response.Content.ReadAsStringAsync());

        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(1.8), $"cut after {watch.Elapsed}");
        Assert.DoesNotContain("[DONE]", events);
        Assert.Contains("upstream_stream_cut", events[^1], StringComparison.Ordinal);
        Assert.True(events.Count > 3, "the stream had started before it was cut");
    }
}
