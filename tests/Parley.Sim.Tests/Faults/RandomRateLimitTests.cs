using System.Net;
using Parley.Sim.Faults;
using Parley.Sim.Hosting;
using Parley.Sim.Tests.Infrastructure;

namespace Parley.Sim.Tests.Faults;

public sealed class RandomRateLimitTests
{
    [Fact]
    public async Task Random_429s_follow_the_seeded_dice_exactly()
    {
        const int seed = 7;
        const double rate = 0.25;
        const int requests = 40;
        await using var sim = await SimulatorHost.StartAsync(o =>
        {
            o.FaultSeed = seed;
            o.RateLimitRate = rate;
        });
        using var client = SimClient.Create(sim);

        var limited = new List<int>();
        for (var i = 0; i < requests; i++)
        {
            using var response = await client.PostChatAsync(SimClient.Body());
            if (response.StatusCode == HttpStatusCode.TooManyRequests)
            {
                limited.Add(i);
            }
            else
            {
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            }
        }

        // The dice: one NextDouble (the fault) and one Next(3) (its variant) per request.
        var dice = new Random(seed);
        var expected = Enumerable.Range(0, requests).Where(_ =>
        {
            var roll = dice.NextDouble();
            dice.Next(3);
            return roll < rate;
        }).ToList();
        Assert.Equal(expected, limited);
        Assert.Equal(9, limited.Count);
        Assert.Equal(9, sim.State.FaultsOf(SimFault.RateLimit429));
        Assert.Equal(9, sim.State.RateLimited);
        Assert.Equal(9, sim.State.RateLimitedFor(SimClient.Key));
        Assert.Equal(requests - 9, sim.State.Completed);
    }

    [Fact]
    public async Task Random_429_carries_the_configured_wait_in_every_header()
    {
        await using var sim = await SimulatorHost.StartAsync(o =>
        {
            o.RateLimitRate = 1;
            o.RateLimitRetryAfter = TimeSpan.FromMilliseconds(1500);
        });
        using var client = SimClient.Create(sim);

        using var response = await client.PostChatAsync(SimClient.Body());

        var error = await SimClient.AssertErrorAsync(response, 429, "rate_limit_exceeded", "rate_limit_exceeded");
        Assert.Equal("Rate limit reached for sim-small (drawn at Simulator:RateLimitRate). Please try again in 1.5s.", error.GetProperty("message").GetString());
        Assert.Equal("1500", response.Header("retry-after-ms"));
        Assert.Equal("2", response.Header("Retry-After"));
        Assert.Equal("0", response.Header("x-ratelimit-remaining-requests"));
        Assert.Equal("1.5s", response.Header("x-ratelimit-reset-requests"));
        var stats = await (await client.GetAsync("sim/stats")).JsonAsync();
        Assert.Equal(1, stats.GetProperty("faults_by_kind").GetProperty("429").GetInt64());
        Assert.Equal(1, stats.GetProperty("rate_limited").GetInt64());
        Assert.Equal(1, stats.GetProperty("faults").GetInt64());
    }

    [Fact]
    public async Task Random_429s_use_nothing_of_the_keys_window()
    {
        await using var sim = await SimulatorHost.StartAsync(o =>
        {
            o.RateLimitRate = 1;
            o.RequestsPerWindow = 1;
        });
        using var client = SimClient.Create(sim);

        using var first = await client.PostChatAsync(SimClient.Body());
        using var second = await client.PostChatAsync(SimClient.Body());
        sim.Faults.Set(sim.Faults.Current with { RateLimitRate = 0 });
        using var admitted = await client.PostChatAsync(SimClient.Body());

        Assert.Equal(HttpStatusCode.TooManyRequests, first.StatusCode);
        Assert.Equal(HttpStatusCode.TooManyRequests, second.StatusCode);
        Assert.Null(first.Header("x-ratelimit-limit-requests")); // the limiter never saw it
        Assert.Equal(HttpStatusCode.OK, admitted.StatusCode);
        Assert.Equal("0", admitted.Header("x-ratelimit-remaining-requests"));
        Assert.Equal(2, sim.State.FaultsOf(SimFault.RateLimit429));
    }

    [Fact]
    public async Task Forced_429_also_gives_retry_after_ms()
    {
        await using var sim = await SimulatorHost.StartAsync();
        using var client = SimClient.Create(sim);

        using var response = await client.PostChatAsync(SimClient.Body(), ("x-sim-fault", "429"), ("x-sim-retry-after", "3"));

        var error = await SimClient.AssertErrorAsync(response, 429, "rate_limit_exceeded", "rate_limit_exceeded");
        Assert.Contains("forced by the x-sim-fault header", error.GetProperty("message").GetString());
        Assert.Equal("3000", response.Header("retry-after-ms"));
        Assert.Equal("3", response.Header("Retry-After"));
    }
}
