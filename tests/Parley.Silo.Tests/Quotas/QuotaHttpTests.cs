using System.Net;
using System.Text.Json;
using Parley.Silo.Tests.Auth;
using Parley.Silo.Tests.Infrastructure;
using Xunit;

namespace Parley.Silo.Tests.Quotas;

/// <summary>Quotas through the facade on the embedded (in-memory) ledger: exact admissions, OpenAI's headers and
/// refusals, usage, and the admin API that sets limits.</summary>
public sealed class QuotaHttpTests(HarnessFixture fixture) : IClassFixture<HarnessFixture>
{
    private SiloHarness Harness => fixture.Harness;
    private HttpClient Admin => Harness.CreateClient(Harness.AdminKey);

    [Fact]
    public async Task Requests_per_minute_admit_exactly_the_limit_with_openai_headers_then_refuse_with_retry_after()
    {
        var (userId, client) = await NewUserAsync();
        await PutAsync($"admin/users/{userId}/limits", """{"requests_per_minute":3,"tokens_per_minute":10000}""");

        for (var i = 0; i < 3; i++)
        {
            using var ok = await client.PostChatAsync(Bodies.Simple());
            Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
            Assert.Equal("3", Header(ok, "x-ratelimit-limit-requests"));
            Assert.Equal((2 - i).ToString(), Header(ok, "x-ratelimit-remaining-requests"));
            Assert.Equal("10000", Header(ok, "x-ratelimit-limit-tokens"));
            Assert.NotNull(Header(ok, "x-ratelimit-reset-requests"));
        }
        using var refused = await client.PostChatAsync(Bodies.Simple());
        var error = await refused.AssertErrorAsync(HttpStatusCode.TooManyRequests, "rate_limit_exceeded", type: "requests");
        Assert.Contains("requests per min (RPM): Limit 3", error.GetProperty("message").GetString());
        Assert.InRange(int.Parse(Header(refused, "retry-after")!), 55, 60);
        Assert.Equal("0", Header(refused, "x-ratelimit-remaining-requests"));
    }

    [Fact]
    public async Task A_daily_token_budget_reserves_max_tokens_and_refuses_with_insufficient_quota()
    {
        var (userId, client) = await NewUserAsync();
        await PutAsync($"admin/users/{userId}/limits", """{"tokens_per_day":100}""");
        var before = Harness.SimState.RequestsReceived;

        // 8 prompt tokens + 200 reserved for the reply cannot fit 100.
        using var tooBig = await client.PostChatAsync("""{"model":"parley-sim","max_tokens":200,"messages":[{"role":"user","content":"Hello"}]}""");
        var error = await tooBig.AssertErrorAsync(HttpStatusCode.TooManyRequests, "insufficient_quota", type: "insufficient_quota");
        Assert.Contains("daily token budget", error.GetProperty("message").GetString());
        Assert.Equal(before, Harness.SimState.RequestsReceived);

        using var fits = await client.PostChatAsync("""{"model":"parley-sim","max_tokens":20,"messages":[{"role":"user","content":"Hello"}]}""");
        var body = await fits.ReadJsonAsync();
        Assert.Equal(HttpStatusCode.OK, fits.StatusCode);
        var spent = body.GetProperty("usage").GetProperty("total_tokens").GetInt64();

        var usage = await GetJsonAsync(client, "v1/usage");
        Assert.Equal(spent, usage.GetProperty("usage").GetProperty("tokens_today").GetInt64());
        Assert.Equal(1, usage.GetProperty("usage").GetProperty("requests_last_minute").GetInt64());
        Assert.Equal(0, usage.GetProperty("usage").GetProperty("concurrent_requests").GetInt64());
        Assert.Equal(100, usage.GetProperty("limits").GetProperty("tokens_per_day").GetInt64());
        var asAdmin = await GetJsonAsync(Admin, $"admin/users/{userId}/usage");
        Assert.Equal(usage.GetProperty("usage").GetRawText(), asAdmin.GetProperty("usage").GetRawText());
        Assert.Equal(usage.GetProperty("limits").GetRawText(), asAdmin.GetProperty("limits").GetRawText());
    }

    [Fact]
    public async Task A_key_limit_refuses_that_key_while_the_user_other_key_goes_on()
    {
        var (userId, client) = await NewUserAsync();
        var keys = await GetJsonAsync(Admin, $"admin/users/{userId}/keys");
        var firstKeyId = keys.GetProperty("data")[0].GetProperty("id").GetString()!;
        await PutAsync($"admin/keys/{firstKeyId}/limits", """{"requests_per_minute":1}""");

        using var first = await client.PostChatAsync(Bodies.Simple());
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        using var second = await client.PostChatAsync(Bodies.Simple());
        var error = await second.AssertErrorAsync(HttpStatusCode.TooManyRequests, "rate_limit_exceeded", type: "requests");
        Assert.Contains("this API key", error.GetProperty("message").GetString());

        var other = Harness.CreateClient((await CreateKeyAsync(userId)).Secret);
        using var third = await other.PostChatAsync(Bodies.Simple());
        Assert.Equal(HttpStatusCode.OK, third.StatusCode);
    }

    [Fact]
    public async Task Limits_are_shown_set_and_validated_through_the_admin_api()
    {
        var (userId, _) = await NewUserAsync();
        var limits = await PutAsync($"admin/users/{userId}/limits", """{"requests_per_minute":60,"usd_per_day":2.5,"tokens_per_month":null}""");
        Assert.Equal(60, limits.GetProperty("user").GetProperty("requests_per_minute").GetInt32());
        Assert.Equal(2.5m, limits.GetProperty("user").GetProperty("usd_per_day").GetDecimal());
        Assert.Equal(JsonValueKind.Null, limits.GetProperty("user").GetProperty("tokens_per_month").ValueKind);
        Assert.Equal(limits.GetRawText(), (await GetJsonAsync(Admin, $"admin/users/{userId}/limits")).GetRawText());

        await (await Admin.PutAsync($"admin/users/{userId}/limits", Http.Json("""{"requests_per_minute":0}"""))).AssertErrorAsync(HttpStatusCode.BadRequest, "invalid_value", "requests_per_minute");
        await (await Admin.PutAsync($"admin/users/{userId}/limits", Http.Json("""{"usd_per_day":"x"}"""))).AssertErrorAsync(HttpStatusCode.BadRequest, "invalid_type", "usd_per_day");
        await (await Admin.PutAsync($"admin/users/{userId}/limits", Http.Json("""{"rpm":1}"""))).AssertErrorAsync(HttpStatusCode.BadRequest, "unknown_parameter", "rpm");
        await (await Admin.PutAsync("admin/users/user_nobody/limits", Http.Json("{}"))).AssertErrorAsync(HttpStatusCode.NotFound, "user_not_found");
        await (await Admin.PutAsync("admin/keys/key_nobody/limits", Http.Json("{}"))).AssertErrorAsync(HttpStatusCode.NotFound, "key_not_found");
        await (await Harness.CreateClient((await Harness.CreateUserAsync("u")).Key).GetAsync($"admin/users/{userId}/limits")).AssertErrorAsync(HttpStatusCode.Forbidden, "insufficient_permissions", type: null);
    }

    private async Task<(string UserId, HttpClient Client)> NewUserAsync()
    {
        var (userId, key) = await Harness.CreateUserAsync("quota");
        return (userId, Harness.CreateClient(key));
    }

    private async Task<(string KeyId, string Secret)> CreateKeyAsync(string userId)
    {
        using var response = await Admin.PostAsync($"admin/users/{userId}/keys", Http.Json("{}"));
        var key = await response.ReadJsonAsync();
        return (key.GetProperty("id").GetString()!, key.GetProperty("key").GetString()!);
    }

    private async Task<JsonElement> PutAsync(string path, string body)
    {
        using var response = await Admin.PutAsync(path, Http.Json(body));
        var json = await response.ReadJsonAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, json.ToString());
        return json;
    }

    private static async Task<JsonElement> GetJsonAsync(HttpClient client, string path)
    {
        using var response = await client.GetAsync(path);
        var json = await response.ReadJsonAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, json.ToString());
        return json;
    }

    private static string? Header(HttpResponseMessage response, string name)
        => response.Headers.TryGetValues(name, out var values) ? string.Join(",", values) : null;
}
