using System.Diagnostics;
using System.Net;
using Parley.Sim.Faults;
using Parley.Silo.Tests.Infrastructure;
using Xunit;

namespace Parley.Silo.Tests.Providers;

/// <summary>A provider's key pool through a real silo and simulator: a refused key leaves the rotation without the
/// client noticing, a rate-limited key is left alone for its Retry-After, operators see and re-enable keys.</summary>
public sealed class UpstreamKeyPoolTests
{
    private const string GoodKey = "sk-upstream-good-key-0123456789";
    private const string RevokedKey = "sk-upstream-revoked-key-0123456789";
    private static readonly string Provider = SiloHarness.ProviderName;

    private static void TwoKeys(IDictionary<string, string?> settings)
    {
        settings[$"Parley:Providers:{Provider}:ApiKey"] = "";
        settings[$"Parley:Providers:{Provider}:Keys:0:Id"] = "revoked";
        settings[$"Parley:Providers:{Provider}:Keys:0:ApiKey"] = RevokedKey;
        settings[$"Parley:Providers:{Provider}:Keys:1:Id"] = "good";
        settings[$"Parley:Providers:{Provider}:Keys:1:ApiKey"] = GoodKey;
        settings[$"Parley:Providers:{Provider}:Keys:1:RequestsPerMinute"] = "60000";
        settings[$"Parley:Providers:{Provider}:Keys:1:Weight"] = "2";
    }

    [Fact]
    public async Task A_key_answering_401_leaves_the_rotation_and_the_load_moves_with_no_client_error()
    {
        // The simulator knows only the good key, so the other one is answered 401 as a revoked key would be.
        await using var h = await SiloHarness.StartAsync(TwoKeys, sim => sim.ApiKeys = [GoodKey]);
        var (_, key) = await h.CreateUserAsync("pool-user");
        var client = h.CreateClient(key);

        var sequential = new List<HttpStatusCode>();
        for (var i = 0; i < 4; i++)
        {
            using var response = await client.PostChatAsync(Bodies.Simple());
            sequential.Add(response.StatusCode);
        }
        var concurrent = await Task.WhenAll(Enumerable.Range(0, 12).Select(async _ =>
        {
            using var response = await client.PostChatAsync(Bodies.Simple(stream: true));
            return response.StatusCode;
        }));

        Assert.All(sequential.Concat(concurrent), s => Assert.Equal(HttpStatusCode.OK, s));
        Assert.Equal(1, h.SimState.Unauthorized);
        Assert.Equal(16, h.SimState.RequestsFor(GoodKey));

        var admin = h.CreateClient(h.AdminKey);
        using var list = await admin.GetAsync("admin/upstream-keys");
        var text = await list.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.OK, list.StatusCode);
        Assert.DoesNotContain(RevokedKey, text, StringComparison.Ordinal);
        Assert.DoesNotContain(GoodKey, text, StringComparison.Ordinal);
        var keys = (await list.ReadJsonAsync()).GetProperty("data").EnumerateArray().ToDictionary(k => k.GetProperty("id").GetString()!);
        Assert.Equal("disabled", keys["revoked"].GetProperty("state").GetString());
        Assert.Contains("401", keys["revoked"].GetProperty("reason").GetString(), StringComparison.Ordinal);
        Assert.Equal("active", keys["good"].GetProperty("state").GetString());
        Assert.Equal(2, keys["good"].GetProperty("weight").GetInt32());
        Assert.Equal(60000, keys["good"].GetProperty("requests_per_minute").GetInt32());
        Assert.Equal(Provider, keys["good"].GetProperty("provider").GetString());

        using var enabled = await admin.PostAsync($"admin/upstream-keys/{Provider}/revoked/enable", null);
        Assert.Equal(HttpStatusCode.OK, enabled.StatusCode);
        Assert.Equal("active", (await enabled.ReadJsonAsync()).GetProperty("state").GetString());

        using var unknown = await admin.PostAsync($"admin/upstream-keys/{Provider}/nope/enable", null);
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Equal("upstream_key_not_found", (await unknown.ReadJsonAsync()).GetProperty("error").GetProperty("code").GetString());

        using var forbidden = await client.GetAsync("admin/upstream-keys");
        Assert.NotEqual(HttpStatusCode.OK, forbidden.StatusCode);
    }

    [Fact]
    public async Task A_key_answering_429_with_retry_after_2_is_not_called_again_for_2_seconds()
    {
        // The upstream is made to answer one 429 with Retry-After: 2 (the simulator's forced fault, forwarded by the
        // harness); after that only the key's block keeps calls away from the upstream.
        await using var h = await SiloHarness.StartAsync(s => s[$"Parley:Providers:{Provider}:Pool:MaxPacingWait"] = "00:00:00.200");
        var (_, key) = await h.CreateUserAsync("limited-user");
        var client = h.CreateClient(key);

        var sinceRefusal = Stopwatch.StartNew();
        using (var refused = await client.PostChatAsync(Bodies.Simple(), r =>
        {
            r.Headers.Add(SimHeaders.Fault, "429");
            r.Headers.Add(SimHeaders.RetryAfter, "2");
        }))
        {
            Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
        }
        Assert.Equal(1, h.SimState.RateLimited);
        Assert.Equal(1, h.SimState.RequestsReceived);

        var refusedMeanwhile = 0;
        while (true)
        {
            using var response = await client.PostChatAsync(Bodies.Simple());
            if (response.StatusCode == HttpStatusCode.OK)
            {
                break;
            }
            Assert.Equal(HttpStatusCode.TooManyRequests, response.StatusCode);
            // Refused by Parley itself: the upstream saw nothing more.
            Assert.Equal(1, h.SimState.RequestsReceived);
            refusedMeanwhile++;
            Assert.True(sinceRefusal.Elapsed < TimeSpan.FromSeconds(6), "the key never came back");
            await Task.Delay(100);
        }
        Assert.True(sinceRefusal.Elapsed >= TimeSpan.FromSeconds(2), $"called again after {sinceRefusal.Elapsed}");
        Assert.True(refusedMeanwhile > 5);
        Assert.Equal(2, h.SimState.RequestsReceived);
        Assert.Equal(1, h.SimState.RateLimited);
    }

    [Theory]
    [InlineData("Keys:0:Id", "", "Keys:0:Id is required")]
    [InlineData("Keys:0:RequestsPerMinute", "0", "Keys:0:RequestsPerMinute must be positive")]
    [InlineData("Keys:0:Weight", "0", "Keys:0:Weight must be positive")]
    [InlineData("Pool:PacingMargin", "-0.1", "Pool:PacingMargin must be between 0 and 1")]
    [InlineData("Pool:ErrorsBeforeCooldown", "0", "Pool:ErrorsBeforeCooldown must be positive")]
    [InlineData("Pool:Cooldown", "00:00:00", "Pool:Cooldown must be positive")]
    [InlineData("Pool:StoreTimeout", "00:00:00", "Pool:StoreTimeout must be positive")]
    [InlineData("Pool:UnlimitedKeyRecheck", "-00:00:01", "Pool:UnlimitedKeyRecheck must be between 0 and")]
    public async Task An_invalid_pool_stops_the_silo_at_start(string setting, string value, string expected)
    {
        var error = await Assert.ThrowsAsync<Microsoft.Extensions.Options.OptionsValidationException>(() => SiloHarness.StartAsync(s =>
        {
            TwoKeys(s);
            s[$"Parley:Providers:{Provider}:{setting}"] = value;
        }));

        Assert.Contains(error.Failures, f => f.Contains(expected, StringComparison.Ordinal));
        Assert.DoesNotContain(error.Failures, f => f.Contains(GoodKey, StringComparison.Ordinal) || f.Contains(RevokedKey, StringComparison.Ordinal));
    }
}
