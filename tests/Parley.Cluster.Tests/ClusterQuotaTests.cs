using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Parley.Cluster.Testing.Infrastructure;
using Xunit.Abstractions;

namespace Parley.Cluster.Tests;

/// <summary>Quotas hold exactly for the cluster as a whole: three silos admit what one would, because every admission
/// is one script in Redis.</summary>
public sealed class ClusterQuotaTests(ClusterFixture fixture, ITestOutputHelper output) : IClassFixture<ClusterFixture>
{
    private TestCluster Cluster => fixture.Cluster;

    [Fact]
    public Task A_thousand_concurrent_requests_against_100_per_minute_get_exactly_100_answers_and_900_refusals()
        => ThousandAgainstAHundredAsync(saturateCores: false);

    /// <summary>The same on a machine whose every core is kept busy by other processes: Redis answers late (far past the
    /// half second that used to count as an outage), and still every admission is decided once, in Redis.</summary>
    [Fact]
    public Task A_thousand_concurrent_requests_against_100_per_minute_get_exactly_100_answers_and_900_refusals_with_every_core_busy()
        => ThousandAgainstAHundredAsync(saturateCores: true);

    private async Task ThousandAgainstAHundredAsync(bool saturateCores)
    {
        var (userId, key) = await CreateUserAsync(saturateCores ? "rpm-busy" : "rpm");
        await SetLimitsAsync($"admin/users/{userId}/limits", """{"requests_per_minute":100}""");
        var clients = Cluster.Silos.Select(s => Cluster.Client(s.Url, key)).ToArray();
        var body = $$"""{"model":"{{TestCluster.Model}}","messages":[{"role":"user","content":"count me"}]}""";
        await using var saturation = saturateCores ? CpuSaturation.Start() : null;
        var started = DateTimeOffset.UtcNow;

        var responses = await Task.WhenAll(Enumerable.Range(0, 1000).Select(async i =>
        {
            using var response = await clients[i % clients.Length].PostAsync("v1/chat/completions", new StringContent(body, Encoding.UTF8, "application/json"));
            var text = await response.Content.ReadAsStringAsync();
            return (response.StatusCode, Headers: response.Headers.ToDictionary(h => h.Key.ToLowerInvariant(), h => string.Join(",", h.Value)), Body: text);
        }));
        var elapsed = DateTimeOffset.UtcNow - started;
        output.WriteLine($"1,000 requests answered in {elapsed.TotalSeconds:0.0} s{(saturateCores ? $" with {Environment.ProcessorCount} cores kept busy" : "")}");

        var admitted = responses.Where(r => r.StatusCode == HttpStatusCode.OK).ToList();
        var refused = responses.Where(r => r.StatusCode == HttpStatusCode.TooManyRequests).ToList();
        var others = responses.Where(r => r.StatusCode is not (HttpStatusCode.OK or HttpStatusCode.TooManyRequests)).Select(r => $"{(int)r.StatusCode} {r.Body}").Distinct();
        Assert.True(admitted.Count + refused.Count == 1000, $"answers other than 200 and 429: {string.Join("; ", others)}");
        Assert.Equal(100, admitted.Count);
        Assert.Equal(900, refused.Count);
        // Each admission saw a distinct place in the window: remaining counts 99 down to 0, each exactly once.
        Assert.Equal(Enumerable.Range(0, 100).Select(i => i.ToString()), admitted.Select(r => r.Headers["x-ratelimit-remaining-requests"]).OrderBy(int.Parse));
        Assert.All(responses, r => Assert.Equal("100", r.Headers["x-ratelimit-limit-requests"]));
        foreach (var refusal in refused)
        {
            // The window frees its first slot 60 s after the first admission, which happened within this test.
            var retryAfter = int.Parse(refusal.Headers["retry-after"]);
            Assert.InRange(retryAfter, 60 - (int)Math.Ceiling(elapsed.TotalSeconds) - 1, 60);
            Assert.Equal("0", refusal.Headers["x-ratelimit-remaining-requests"]);
            var error = JsonDocument.Parse(refusal.Body).RootElement.GetProperty("error");
            Assert.Equal("rate_limit_exceeded", error.GetProperty("code").GetString());
            Assert.Equal("requests", error.GetProperty("type").GetString());
        }

        var usage = await Http.ReadSuccessJsonAsync(await clients[0].GetAsync("v1/usage"));
        Assert.Equal(100, usage.GetProperty("usage").GetProperty("requests_last_minute").GetInt64());
    }

    [Fact]
    public async Task Concurrent_streamed_calls_never_spend_more_than_the_daily_token_budget()
    {
        const int budget = 2000;
        var (userId, key) = await CreateUserAsync("tokens");
        await SetLimitsAsync($"admin/users/{userId}/limits", $$"""{"tokens_per_day":{{budget}}}""");
        var clients = Cluster.Silos.Select(s => Cluster.Client(s.Url, key)).ToArray();
        var body = $$"""{"model":"{{TestCluster.Model}}","stream":true,"stream_options":{"include_usage":true},"max_tokens":8,"messages":[{"role":"user","content":"stream a little"}]}""";

        var outcomes = await Task.WhenAll(Enumerable.Range(0, 300).Select(async i =>
        {
            using var response = await clients[i % clients.Length].PostAsync("v1/chat/completions", new StringContent(body, Encoding.UTF8, "application/json"));
            var text = await response.Content.ReadAsStringAsync();
            if (response.StatusCode != HttpStatusCode.OK)
            {
                Assert.Equal(HttpStatusCode.TooManyRequests, response.StatusCode);
                Assert.Equal("insufficient_quota", JsonDocument.Parse(text).RootElement.GetProperty("error").GetProperty("code").GetString());
                return 0;
            }
            var usageEvent = text.Split("\n\n").Select(e => e.Trim()).Last(e => e.Contains("\"usage\":{", StringComparison.Ordinal));
            return JsonDocument.Parse(usageEvent["data: ".Length..]).RootElement.GetProperty("usage").GetProperty("total_tokens").GetInt32();
        }));

        var spent = outcomes.Sum();
        Assert.InRange(spent, 1, budget);
        Assert.Contains(0, outcomes);
        var usage = await Http.ReadSuccessJsonAsync(await clients[1].GetAsync("v1/usage"));
        Assert.Equal(spent, usage.GetProperty("usage").GetProperty("tokens_today").GetInt64());
        Assert.Equal(0, usage.GetProperty("usage").GetProperty("concurrent_requests").GetInt64());
    }

    private async Task<(string UserId, string Key)> CreateUserAsync(string name)
    {
        var admin = Cluster.Client(Cluster.FrontEndUrl, TestCluster.AdminKey);
        using var user = await admin.PostAsJsonAsync("admin/users", new Dictionary<string, string> { ["name"] = name });
        var userId = (await Http.ReadSuccessJsonAsync(user)).GetProperty("id").GetString()!;
        using var created = await admin.PostAsJsonAsync($"admin/users/{userId}/keys", new Dictionary<string, string> { ["name"] = name });
        return (userId, (await Http.ReadSuccessJsonAsync(created)).GetProperty("key").GetString()!);
    }

    private async Task SetLimitsAsync(string path, string body)
    {
        // Set on every silo, so none serves from a limits cache filled before the change.
        foreach (var silo in Cluster.Silos)
        {
            using var response = await Cluster.Client(silo.Url, TestCluster.AdminKey).PutAsync(path, Http.Json(body));
            await Http.ReadSuccessJsonAsync(response);
        }
    }
}
