using System.Diagnostics;
using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Parley.Grains.Quotas.Ledger;
using Parley.Silo.Quotas;
using Parley.Silo.Tests.Infrastructure;
using Parley.Testing;
using Xunit;

namespace Parley.Silo.Tests.Quotas;

/// <summary>A Redis that is up but slow (every client held by <c>CLIENT PAUSE</c>, as a saturated machine holds it) is
/// not an outage: an admission waits for its answer and counts once; one not answered within StoreTimeout is refused
/// with 503 and taken back, never decided a second time in process.</summary>
public sealed class QuotaSlowStoreTests
{
    [Fact]
    public async Task A_slow_redis_is_waited_for_and_counts_each_request_exactly_once()
    {
        await using var redis = await RedisServer.StartAsync();
        await using var harness = await SiloHarness.StartAsync(cfg => UseRedis(cfg, redis, storeTimeout: "00:00:10"));
        var (userId, client) = await UserWithLimitAsync(harness, """{"requests_per_minute":5}""");
        using (var warm = await client.PostChatAsync(Bodies.Simple()))
        {
            Assert.Equal("4", warm.Header("x-ratelimit-remaining-requests"));
        }

        await redis.ExecuteAsync(default, "CLIENT", "PAUSE", "1500", "ALL");
        var paused = Stopwatch.StartNew();
        var responses = await Task.WhenAll(Enumerable.Range(0, 3).Select(_ => client.PostChatAsync(Bodies.Simple())));

        Assert.True(paused.Elapsed >= TimeSpan.FromSeconds(1), "The requests did not wait for the paused Redis.");
        Assert.All(responses, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
        Assert.Equal(["1", "2", "3"], responses.Select(r => r.Header("x-ratelimit-remaining-requests")).Order());
        Assert.Contains("\"quotas\":\"cluster\"", await (await harness.CreateClient(null).GetAsync("health/ready")).Content.ReadAsStringAsync());
        // Nothing was decided in process.
        var inProcess = await harness.Services.GetRequiredService<MemoryQuotaLedger>().GetUsageAsync(userId, null, DateTimeOffset.UtcNow);
        Assert.Equal(0, inProcess.RequestsLastMinute);
        foreach (var response in responses)
        {
            response.Dispose();
        }
    }

    [Fact]
    public async Task An_admission_not_answered_in_time_is_refused_with_503_and_taken_back_not_decided_in_process()
    {
        await using var redis = await RedisServer.StartAsync();
        await using var harness = await SiloHarness.StartAsync(cfg => UseRedis(cfg, redis, storeTimeout: "00:00:00.200"));
        var (userId, client) = await UserWithLimitAsync(harness, """{"requests_per_minute":5}""");
        var releases = harness.Services.GetRequiredService<UnansweredAdmissions>();
        using (var warm = await AdmittedAsync(client, releases))
        {
            Assert.Equal("4", warm.Header("x-ratelimit-remaining-requests"));
        }
        var sent = harness.SimState.RequestsReceived;

        await redis.ExecuteAsync(default, "CLIENT", "PAUSE", "2000", "ALL");
        using (var refused = await client.PostChatAsync(Bodies.Simple()))
        {
            await refused.AssertErrorAsync(HttpStatusCode.ServiceUnavailable, "quota_unavailable", type: "server_error");
            Assert.Equal("1", refused.Header("retry-after"));
        }
        Assert.Equal(sent, harness.SimState.RequestsReceived);

        // After the pause the admission runs (and counts), then its release takes it back.
        await Poll.UntilAsync(() => releases.Pending == 0, "the unanswered admission is released", TimeSpan.FromSeconds(30));
        var inProcess = await harness.Services.GetRequiredService<MemoryQuotaLedger>().GetUsageAsync(userId, null, DateTimeOffset.UtcNow);
        Assert.Equal(0, inProcess.RequestsLastMinute);
        using (var next = await AdmittedAsync(client, releases))
        {
            Assert.Equal("3", next.Header("x-ratelimit-remaining-requests"));
        }
        Assert.Contains("\"quotas\":\"cluster\"", await (await harness.CreateClient(null).GetAsync("health/ready")).Content.ReadAsStringAsync());
    }

    /// <summary>Default Redis timeouts (5 s), so only <paramref name="storeTimeout"/> decides how long an admission waits.</summary>
    private static void UseRedis(IDictionary<string, string?> settings, RedisServer redis, string storeTimeout)
    {
        settings["Parley:Redis:ConnectionString"] = redis.ConnectionString;
        settings["Parley:Cluster:AdvertisedAddress"] = "127.0.0.1";
        settings["Parley:Redis:KeyPrefix"] = "t" + Guid.NewGuid().ToString("N");
        // Keys and limits read before the pause are trusted through it: only the admission talks to Redis then.
        settings["Parley:Auth:CacheTtl"] = "00:05:00";
        settings["Parley:Quotas:SettingsCacheTtl"] = "00:05:00";
        settings["Parley:Cache:Enabled"] = "false";
        settings["Parley:Quotas:StoreTimeout"] = storeTimeout;
    }

    private static async Task<(string UserId, HttpClient Client)> UserWithLimitAsync(SiloHarness harness, string limits)
    {
        var (userId, key) = await harness.CreateUserAsync("slow-store");
        (await harness.CreateClient(harness.AdminKey).PutAsync($"admin/users/{userId}/limits", Http.Json(limits))).EnsureSuccessStatusCode();
        return (userId, harness.CreateClient(key));
    }

    /// <summary>A chat completion that got through the quota gate. An admission is answered well within the 200 ms
    /// StoreTimeout on a quiet machine; on a loaded one a stall can outlast it, and the admission is then refused with
    /// 503 and taken back. Such a refusal is retried once its take-back is done, so counts stay exact: a refused
    /// admission never counts.</summary>
    private static async Task<HttpResponseMessage> AdmittedAsync(HttpClient client, UnansweredAdmissions releases)
    {
        var response = await client.PostChatAsync(Bodies.Simple());
        for (var attempt = 1; response.StatusCode == HttpStatusCode.ServiceUnavailable && attempt < 5; attempt++)
        {
            await response.AssertErrorAsync(HttpStatusCode.ServiceUnavailable, "quota_unavailable", type: "server_error");
            response.Dispose();
            await Poll.UntilAsync(() => releases.Pending == 0, "the refused admission is released", TimeSpan.FromSeconds(30));
            response = await client.PostChatAsync(Bodies.Simple());
        }
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return response;
    }
}
