using System.Net;
using Parley.Sim.Hosting;
using Parley.Sim.Tests.Infrastructure;
using Parley.Testing;

namespace Parley.Sim.Tests.RateLimits;

public sealed class RateLimitTests
{
    [Fact]
    public async Task Request_limit_admits_exactly_the_limit_then_429s_until_the_window_ends()
    {
        var clock = new ManualTimeProvider();
        await using var sim = await SimulatorHost.StartAsync(o =>
        {
            o.RequestsPerWindow = 3;
            o.RateLimitWindow = TimeSpan.FromMinutes(1);
        }, clock);
        using var client = SimClient.Create(sim);

        var remaining = new List<string?>();
        for (var i = 0; i < 3; i++)
        {
            using var ok = await client.PostChatAsync(SimClient.Body());
            Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
            Assert.Equal("3", ok.Header("x-ratelimit-limit-requests"));
            Assert.Equal("1m0s", ok.Header("x-ratelimit-reset-requests"));
            Assert.Null(ok.Header("x-ratelimit-limit-tokens")); // no token limit configured
            remaining.Add(ok.Header("x-ratelimit-remaining-requests"));
        }
        Assert.Equal(["2", "1", "0"], remaining);

        clock.Advance(TimeSpan.FromMilliseconds(20_500));
        using var limited = await client.PostChatAsync(SimClient.Body());

        var error = await SimClient.AssertErrorAsync(limited, 429, "rate_limit_exceeded", "rate_limit_exceeded");
        Assert.Equal("40", limited.Header("Retry-After")); // 39.5 s rounded up
        Assert.Equal("3", limited.Header("x-ratelimit-limit-requests"));
        Assert.Equal("0", limited.Header("x-ratelimit-remaining-requests"));
        Assert.Equal("39.5s", limited.Header("x-ratelimit-reset-requests"));
        Assert.Contains("Limit 3, Used 3, Requested 1", error.GetProperty("message").GetString());

        clock.Advance(TimeSpan.FromMilliseconds(39_400));
        using var stillLimited = await client.PostChatAsync(SimClient.Body());
        Assert.Equal(HttpStatusCode.TooManyRequests, stillLimited.StatusCode);
        Assert.Equal("1", stillLimited.Header("Retry-After"));
        Assert.Equal("100ms", stillLimited.Header("x-ratelimit-reset-requests"));

        clock.Advance(TimeSpan.FromMilliseconds(100));
        using var again = await client.PostChatAsync(SimClient.Body());
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        Assert.Equal("2", again.Header("x-ratelimit-remaining-requests"));

        Assert.Equal(2, sim.State.RateLimited);
        Assert.Equal(2, sim.State.RateLimitedFor(SimClient.Key));
        Assert.Equal(6, sim.State.RequestsFor(SimClient.Key));
        Assert.Equal(4, sim.State.Completed);
    }

    [Fact]
    public async Task Token_limit_counts_prompt_and_completion_tokens()
    {
        var clock = new ManualTimeProvider();
        // Each request is 8 prompt + 20 completion = 28 tokens; 60 admits two.
        await using var sim = await SimulatorHost.StartAsync(o =>
        {
            o.TokensPerWindow = 60;
            o.RateLimitWindow = TimeSpan.FromSeconds(1);
        }, clock);
        using var client = SimClient.Create(sim);

        using var first = await client.PostChatAsync(SimClient.Body());
        using var second = await client.PostChatAsync(SimClient.Body());
        clock.Advance(TimeSpan.FromMilliseconds(250));
        using var third = await client.PostChatAsync(SimClient.Body());
        // A smaller request (8 + 5 = 13 tokens) does not fit in the 4 left either.
        using var small = await client.PostChatAsync(SimClient.Body(extra: ",\"max_tokens\":5"));

        Assert.Equal("32", first.Header("x-ratelimit-remaining-tokens"));
        Assert.Equal("60", first.Header("x-ratelimit-limit-tokens"));
        Assert.Equal("1s", first.Header("x-ratelimit-reset-tokens"));
        Assert.Equal("4", second.Header("x-ratelimit-remaining-tokens"));
        Assert.Null(first.Header("x-ratelimit-limit-requests"));
        var error = await SimClient.AssertErrorAsync(third, 429, "rate_limit_exceeded", "rate_limit_exceeded");
        Assert.Contains("on tokens", error.GetProperty("message").GetString());
        Assert.Contains("Limit 60, Used 56, Requested 28", error.GetProperty("message").GetString());
        Assert.Equal("1", third.Header("Retry-After"));
        Assert.Equal("750ms", third.Header("x-ratelimit-reset-tokens"));
        Assert.Equal(HttpStatusCode.TooManyRequests, small.StatusCode);

        clock.Advance(TimeSpan.FromMilliseconds(750));
        using var fourth = await client.PostChatAsync(SimClient.Body());
        Assert.Equal(HttpStatusCode.OK, fourth.StatusCode);
    }

    [Fact]
    public async Task Limits_are_per_key()
    {
        var clock = new ManualTimeProvider();
        await using var sim = await SimulatorHost.StartAsync(o => o.RequestsPerWindow = 1, clock);
        using var one = SimClient.Create(sim, "sk-key-one-000");
        using var two = SimClient.Create(sim, "sk-key-two-000");

        using var a = await one.PostChatAsync(SimClient.Body());
        using var b = await one.PostChatAsync(SimClient.Body());
        using var c = await two.PostChatAsync(SimClient.Body());

        Assert.Equal(HttpStatusCode.OK, a.StatusCode);
        Assert.Equal(HttpStatusCode.TooManyRequests, b.StatusCode);
        Assert.Equal(HttpStatusCode.OK, c.StatusCode);
    }

    [Fact]
    public async Task Refused_bodies_do_not_use_the_limit()
    {
        var clock = new ManualTimeProvider();
        await using var sim = await SimulatorHost.StartAsync(o => o.RequestsPerWindow = 1, clock);
        using var client = SimClient.Create(sim);

        using var bad = await client.PostChatAsync("{");
        using var ok = await client.PostChatAsync(SimClient.Body());

        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
    }
}
