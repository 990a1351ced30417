using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Parley.Silo.Auth.Sessions;
using Parley.Silo.OperatorConsole;
using Parley.Silo.Tests.Dashboard;
using Parley.Silo.Tests.Infrastructure;
using Xunit;
using static Parley.Silo.Tests.Infrastructure.Http;

namespace Parley.Silo.Tests.OperatorConsole;

/// <summary>The console's routes without a browser: who gets in, what the page is served with, the exact figures of a
/// snapshot, and its two actions (set a user's limits, re-enable an upstream key) with their CSRF protection.</summary>
public sealed class ConsoleApiTests(ConsoleFixture fixture) : IClassFixture<ConsoleFixture>
{
    private const string Snapshot = "console/api/snapshot";
    private SiloHarness Harness => fixture.Harness;
    private HttpClient Admin => Harness.CreateClient(Harness.AdminKey);

    [Fact]
    public async Task Without_a_session_the_page_goes_to_sign_in_the_api_answers_401_and_a_user_key_403()
    {
        using var browser = new BrowserClient(Harness.SiloUrl);
        using var page = await browser.OpenPageAsync("console/");
        Assert.Equal(HttpStatusCode.Redirect, page.StatusCode);
        Assert.Equal("/admin/sign-in?returnUrl=%2Fconsole%2F", page.Location());

        foreach (var path in new[] { Snapshot, "console/api/session", "console/console.js", $"console/api/conversations/conv_{new string('a', 32)}/context" })
        {
            using var fetched = await browser.FetchJsonAsync(path);
            await fetched.AssertErrorAsync(HttpStatusCode.Unauthorized, "invalid_api_key");
        }
        using (var put = await browser.SendJsonAsync(HttpMethod.Put, $"console/api/users/{fixture.UserId}/limits", "{}"))
        {
            await put.AssertErrorAsync(HttpStatusCode.Unauthorized, "invalid_api_key");
        }

        using var asUser = await fixture.Client.GetAsync(Snapshot);
        await asUser.AssertErrorAsync(HttpStatusCode.Forbidden, "insufficient_permissions", type: "permission_error");
        using var asUserEnable = await fixture.Client.PostAsync($"console/api/upstream-keys/{SiloHarness.ProviderName}/default/enable", null);
        await asUserEnable.AssertErrorAsync(HttpStatusCode.Forbidden, "insufficient_permissions", type: "permission_error");

        // A user key cannot sign in either.
        using var refused = await browser.SignInAsync(fixture.Key, "/console/");
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        Assert.Null(browser.SessionCookie);

        using var asAdmin = await Admin.GetAsync(Snapshot);
        Assert.Equal(HttpStatusCode.OK, asAdmin.StatusCode);
    }

    [Fact]
    public async Task A_signed_in_admin_gets_the_page_and_its_assets_from_the_silo_under_a_strict_policy()
    {
        using var browser = await SignedInAsync();
        using var redirect = await browser.OpenPageAsync("console");
        Assert.Equal("/console/", redirect.Location());

        using var page = await browser.OpenPageAsync("console/");
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Equal("text/html", page.MediaType()?.MediaType);
        Assert.Equal(ConsoleHeaders.ContentSecurityPolicy, page.Headers.GetValues("Content-Security-Policy").Single());
        Assert.Equal("nosniff", page.Headers.GetValues("X-Content-Type-Options").Single());
        Assert.Equal("DENY", page.Headers.GetValues("X-Frame-Options").Single());
        Assert.Equal("no-store", page.Headers.CacheControl?.ToString());
        var html = await page.Content.ReadAsStringAsync();
        Assert.Contains("<script src=\"console.js\" defer></script>", html, StringComparison.Ordinal);
        Assert.Contains("<link rel=\"stylesheet\" href=\"console.css\">", html, StringComparison.Ordinal);
        // Nothing inline, nothing from elsewhere: the policy above would block it.
        Assert.DoesNotContain("style=", html, StringComparison.Ordinal);
        Assert.DoesNotContain("onclick", html, StringComparison.Ordinal);
        Assert.DoesNotContain("http", html, StringComparison.Ordinal);

        using var script = await browser.FetchJsonAsync("console/console.js");
        Assert.Equal(HttpStatusCode.OK, script.StatusCode);
        Assert.Equal("text/javascript", script.MediaType()?.MediaType);
        Assert.Contains("api/snapshot", await script.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        using var style = await browser.FetchJsonAsync("console/console.css");
        Assert.Equal("text/css", style.MediaType()?.MediaType);

        var etag = script.Headers.ETag!.Tag;
        using var again = await browser.SendJsonAsync(HttpMethod.Get, "console/console.js", headers: new Dictionary<string, string> { ["If-None-Match"] = etag });
        Assert.Equal(HttpStatusCode.NotModified, again.StatusCode);
    }

    [Fact]
    public async Task The_snapshot_shows_each_user_s_usage_against_its_limits_exactly()
    {
        var (userId, key) = await Harness.CreateUserAsync("console-usage");
        await PutLimitsAsync(Admin, userId, """{"requests_per_minute":50,"tokens_per_day":100000}""");
        var client = Harness.CreateClient(key);
        long spent = 0;
        for (var i = 0; i < 3; i++)
        {
            using var chat = await client.PostChatAsync(Bodies.Simple(content: "Hello number " + i));
            Assert.Equal(HttpStatusCode.OK, chat.StatusCode);
            spent += (await chat.ReadJsonAsync()).GetProperty("usage").GetProperty("total_tokens").GetInt64();
        }

        var snapshot = await SnapshotAsync(Admin);
        Assert.Equal("console.snapshot", snapshot.GetProperty("object").GetString());
        Assert.Equal(2000, snapshot.GetProperty("refresh_ms").GetInt32());
        var users = snapshot.GetProperty("users");
        using var listed = await Admin.GetAsync("admin/users");
        Assert.Equal((await listed.ReadJsonAsync()).GetProperty("data").GetArrayLength(), users.GetProperty("total").GetInt32());
        Assert.Equal(JsonValueKind.Null, users.GetProperty("error").ValueKind);

        var row = users.GetProperty("data").EnumerateArray().Single(u => u.GetProperty("id").GetString() == userId);
        Assert.Equal("console-usage", row.GetProperty("name").GetString());
        Assert.False(row.GetProperty("disabled").GetBoolean());
        var usage = row.GetProperty("usage");
        Assert.Equal(3, usage.GetProperty("requests_last_minute").GetInt64());
        Assert.Equal(spent, usage.GetProperty("tokens_last_minute").GetInt64());
        Assert.Equal(spent, usage.GetProperty("tokens_today").GetInt64());
        Assert.Equal(spent, usage.GetProperty("tokens_this_month").GetInt64());
        Assert.Equal(0, usage.GetProperty("concurrent_requests").GetInt64());
        Assert.Equal(50, row.GetProperty("limits").GetProperty("requests_per_minute").GetInt32());
        Assert.Equal(100000, row.GetProperty("limits").GetProperty("tokens_per_day").GetInt64());
        Assert.Equal(JsonValueKind.Null, row.GetProperty("limits").GetProperty("tokens_per_minute").ValueKind);
        Assert.Equal(50, row.GetProperty("own_limits").GetProperty("requests_per_minute").GetInt32());

        // The same figures as the admin API's.
        using var adminUsage = await Admin.GetAsync($"admin/users/{userId}/usage");
        Assert.Equal((await adminUsage.ReadJsonAsync()).GetProperty("usage").GetRawText(), usage.GetRawText());
    }

    [Fact]
    public async Task Upstream_keys_are_shown_with_their_schedule_by_fingerprint_never_by_secret()
    {
        using var chat = await fixture.Client.PostChatAsync(Bodies.Simple());
        Assert.Equal(HttpStatusCode.OK, chat.StatusCode);

        using var response = await Admin.GetAsync(Snapshot);
        var text = await response.Content.ReadAsStringAsync();
        Assert.DoesNotContain(SiloHarness.UpstreamKey, text, StringComparison.Ordinal);
        Assert.DoesNotContain(ConsoleFixture.RefusingKey, text, StringComparison.Ordinal);
        var snapshot = JsonDocument.Parse(text).RootElement;
        var keys = snapshot.GetProperty("upstream_keys").EnumerateArray().ToDictionary(k => k.GetProperty("provider").GetString() + "/" + k.GetProperty("id").GetString());
        Assert.Equal([$"{ConsoleFixture.RefusingProvider}/{ConsoleFixture.RefusingKeyId}", $"{SiloHarness.ProviderName}/default"], keys.Keys.Order(StringComparer.Ordinal));

        var sim = keys[$"{SiloHarness.ProviderName}/default"];
        Assert.Equal(Fingerprint(SiloHarness.UpstreamKey), sim.GetProperty("fingerprint").GetString());
        Assert.Equal("active", sim.GetProperty("state").GetString());
        Assert.Equal(1, sim.GetProperty("weight").GetInt32());
        Assert.Equal(JsonValueKind.Null, sim.GetProperty("error").ValueKind);
        // Unpaced (no configured limit): the next call may start at once.
        Assert.Equal(snapshot.GetProperty("generated_at").GetDateTimeOffset(), sim.GetProperty("next_allowed_at").GetDateTimeOffset());
        Assert.Equal(60, sim.GetProperty("upstream_window_seconds").GetDouble());

        var refusing = keys[$"{ConsoleFixture.RefusingProvider}/{ConsoleFixture.RefusingKeyId}"];
        Assert.Equal(Fingerprint(ConsoleFixture.RefusingKey), refusing.GetProperty("fingerprint").GetString());
        Assert.Equal(600, refusing.GetProperty("requests_per_minute").GetInt32());
    }

    [Fact]
    public async Task A_key_the_upstream_refuses_shows_disabled_and_is_re_enabled_from_a_session_with_its_token()
    {
        using var refusedCall = await fixture.Client.PostChatAsync(Bodies.Simple(model: ConsoleFixture.RefusedModel));
        Assert.NotEqual(HttpStatusCode.OK, refusedCall.StatusCode);
        var key = await RefusingKeyAsync();
        Assert.Equal("disabled", key.GetProperty("state").GetString());
        Assert.Contains("401", key.GetProperty("reason").GetString(), StringComparison.Ordinal);

        using var browser = await SignedInAsync();
        var enable = $"console/api/upstream-keys/{ConsoleFixture.RefusingProvider}/{ConsoleFixture.RefusingKeyId}/enable";
        using (var noToken = await browser.SendJsonAsync(HttpMethod.Post, enable))
        {
            await noToken.AssertErrorAsync(HttpStatusCode.Forbidden, ConsoleEndpoints.CsrfCode, type: "permission_error");
        }
        Assert.Equal("disabled", (await RefusingKeyAsync()).GetProperty("state").GetString());

        var token = await TokenAsync(browser);
        using (var enabled = await browser.SendJsonAsync(HttpMethod.Post, enable, headers: token))
        {
            Assert.Equal(HttpStatusCode.OK, enabled.StatusCode);
            Assert.Equal("active", (await enabled.ReadJsonAsync()).GetProperty("state").GetString());
        }
        using var adminList = await Admin.GetAsync("admin/upstream-keys");
        var listed = (await adminList.ReadJsonAsync()).GetProperty("data").EnumerateArray().Single(k => k.GetProperty("id").GetString() == ConsoleFixture.RefusingKeyId);
        Assert.Equal("active", listed.GetProperty("state").GetString());
        Assert.Equal("active", (await RefusingKeyAsync()).GetProperty("state").GetString());

        using var unknown = await browser.SendJsonAsync(HttpMethod.Post, $"console/api/upstream-keys/{ConsoleFixture.RefusingProvider}/nope/enable", headers: token);
        await unknown.AssertErrorAsync(HttpStatusCode.NotFound, "upstream_key_not_found");
    }

    [Fact]
    public async Task Setting_a_limit_from_a_session_needs_the_antiforgery_token_and_changes_what_the_admin_api_shows()
    {
        var (userId, _) = await Harness.CreateUserAsync("console-limits");
        using var browser = await SignedInAsync();
        var path = $"console/api/users/{userId}/limits";
        const string Body = """{"requests_per_minute":7,"usd_per_month":12.5}""";

        using (var noToken = await browser.SendJsonAsync(HttpMethod.Put, path, Body))
        {
            await noToken.AssertErrorAsync(HttpStatusCode.Forbidden, ConsoleEndpoints.CsrfCode, type: "permission_error");
        }
        using (var wrongToken = await browser.SendJsonAsync(HttpMethod.Put, path, Body, new Dictionary<string, string> { [AdminSessions.AntiforgeryHeaderName] = "forged" }))
        {
            await wrongToken.AssertErrorAsync(HttpStatusCode.Forbidden, ConsoleEndpoints.CsrfCode, type: "permission_error");
        }
        // Another session's token is no good for this one.
        using var other = await SignedInAsync();
        var othersToken = await TokenAsync(other);
        using (var foreign = await browser.SendJsonAsync(HttpMethod.Put, path, Body, othersToken))
        {
            await foreign.AssertErrorAsync(HttpStatusCode.Forbidden, ConsoleEndpoints.CsrfCode, type: "permission_error");
        }
        Assert.Equal(JsonValueKind.Null, (await LimitsAsync(userId)).GetProperty("user").GetProperty("requests_per_minute").ValueKind);

        var token = await TokenAsync(browser);
        using (var set = await browser.SendJsonAsync(HttpMethod.Put, path, Body, token))
        {
            Assert.Equal(HttpStatusCode.OK, set.StatusCode);
            Assert.Equal(7, (await set.ReadJsonAsync()).GetProperty("user").GetProperty("requests_per_minute").GetInt32());
        }
        var limits = await LimitsAsync(userId);
        Assert.Equal(7, limits.GetProperty("user").GetProperty("requests_per_minute").GetInt32());
        Assert.Equal(12.5m, limits.GetProperty("user").GetProperty("usd_per_month").GetDecimal());
        var row = (await SnapshotAsync(Admin)).GetProperty("users").GetProperty("data").EnumerateArray().Single(u => u.GetProperty("id").GetString() == userId);
        Assert.Equal(7, row.GetProperty("own_limits").GetProperty("requests_per_minute").GetInt32());

        // The admin API's validation and answers, unchanged.
        using (var invalid = await browser.SendJsonAsync(HttpMethod.Put, path, """{"requests_per_minute":0}""", token))
        {
            await invalid.AssertErrorAsync(HttpStatusCode.BadRequest, "invalid_value", param: "requests_per_minute");
        }
        using (var unknownUser = await browser.SendJsonAsync(HttpMethod.Put, "console/api/users/user_nope/limits", Body, token))
        {
            await unknownUser.AssertErrorAsync(HttpStatusCode.NotFound, "user_not_found");
        }
        // A script with the admin key needs no token: its credential is not ambient.
        using var byScript = await Admin.PutAsync(path, Json("""{"requests_per_minute":9}"""));
        Assert.Equal(HttpStatusCode.OK, byScript.StatusCode);
        Assert.Equal(9, (await LimitsAsync(userId)).GetProperty("user").GetProperty("requests_per_minute").GetInt32());
    }

    [Fact]
    public async Task Deployments_and_recent_conversations_show_latency_turns_and_the_working_context()
    {
        var (userId, key) = await Harness.CreateUserAsync("console-conversations");
        var client = Harness.CreateClient(key);
        using var created = await client.PostAsync("v1/conversations", Json("""{"model":"parley-sim"}"""));
        var conversation = (await created.ReadJsonAsync()).GetProperty("id").GetString()!;
        using var turn = await client.PostChatAsync(Bodies.Simple(content: "Remember me"), r => r.Headers.Add("X-Parley-Conversation", conversation));
        Assert.Equal(HttpStatusCode.OK, turn.StatusCode);

        var snapshot = await SnapshotAsync(Admin);
        var deployment = snapshot.GetProperty("deployments").GetProperty("data").EnumerateArray()
            .Single(d => d.GetProperty("id").GetString() == $"{SiloHarness.ProviderName}/{SiloHarness.UpstreamModel}");
        Assert.True(deployment.GetProperty("latency_ms").GetDouble() > 0);
        Assert.Equal(0, deployment.GetProperty("in_flight").GetInt32());
        Assert.Equal("closed", deployment.GetProperty("circuit").GetString());
        var silo = Harness.Services.GetRequiredService<Orleans.Runtime.ILocalSiloDetails>().SiloAddress.ToString();
        Assert.Equal(silo, snapshot.GetProperty("silo").GetString());
        // A cluster of one: its own view is the only one.
        var view = Assert.Single(snapshot.GetProperty("deployments_by_silo").EnumerateArray());
        Assert.Equal(silo, view.GetProperty("silo").GetString());
        Assert.True(view.GetProperty("local").GetBoolean());
        Assert.Equal(JsonValueKind.Null, view.GetProperty("error").ValueKind);
        var seen = view.GetProperty("data").EnumerateArray().Single(d => d.GetProperty("id").GetString() == deployment.GetProperty("id").GetString());
        Assert.Equal(deployment.GetProperty("latency_ms").GetDouble(), seen.GetProperty("latency_ms").GetDouble());
        Assert.Equal("closed", seen.GetProperty("circuit").GetString());
        Assert.Equal(0, seen.GetProperty("in_flight").GetInt32());

        var conversations = snapshot.GetProperty("conversations");
        Assert.Equal(30 * 60, conversations.GetProperty("active_window_seconds").GetDouble());
        var newest = conversations.GetProperty("data")[0];
        Assert.Equal(conversation, newest.GetProperty("id").GetString());
        Assert.True(newest.GetProperty("loaded").GetBoolean());
        Assert.Equal(userId, newest.GetProperty("owner_user_id").GetString());
        Assert.Equal("parley-sim", newest.GetProperty("model").GetString());
        Assert.Equal(2, newest.GetProperty("items").GetInt32());
        Assert.Equal("none", newest.GetProperty("summary").GetString());
        Assert.Equal(0, newest.GetProperty("dropped_items").GetInt32());

        using var context = await Admin.GetAsync($"console/api/conversations/{conversation}/context");
        var working = await context.ReadJsonAsync();
        Assert.Equal(conversation, working.GetProperty("conversation_id").GetString());
        Assert.Equal(["user", "assistant"], working.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("role").GetString()));
        Assert.Equal(newest.GetProperty("context_tokens").GetInt32(), working.GetProperty("context_tokens").GetInt32());

        using var invalid = await Admin.GetAsync("console/api/conversations/not-an-id/context");
        await invalid.AssertErrorAsync(HttpStatusCode.BadRequest, "invalid_conversation_id", param: "conversation_id");
        using var missing = await Admin.GetAsync($"console/api/conversations/conv_{new string('0', 32)}/context");
        await missing.AssertErrorAsync(HttpStatusCode.NotFound, "conversation_not_found");
    }

    private async Task<BrowserClient> SignedInAsync()
    {
        var browser = new BrowserClient(Harness.SiloUrl);
        using var signedIn = await browser.SignInAsync(Harness.AdminKey, "/console/");
        Assert.Equal(HttpStatusCode.SeeOther, signedIn.StatusCode);
        Assert.Equal("/console/", signedIn.Location());
        return browser;
    }

    private static async Task<Dictionary<string, string>> TokenAsync(BrowserClient browser)
    {
        using var response = await browser.FetchJsonAsync("console/api/session");
        var session = await response.ReadJsonAsync();
        Assert.Equal(AdminSessions.AntiforgeryHeaderName, session.GetProperty("antiforgery_header").GetString());
        return new Dictionary<string, string> { [AdminSessions.AntiforgeryHeaderName] = session.GetProperty("antiforgery_token").GetString()! };
    }

    private async Task<JsonElement> RefusingKeyAsync()
        => (await SnapshotAsync(Admin)).GetProperty("upstream_keys").EnumerateArray()
            .Single(k => k.GetProperty("provider").GetString() == ConsoleFixture.RefusingProvider);

    private async Task<JsonElement> LimitsAsync(string userId)
    {
        using var response = await Admin.GetAsync($"admin/users/{userId}/limits");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.ReadJsonAsync();
    }

    private static async Task<JsonElement> SnapshotAsync(HttpClient client)
    {
        using var response = await client.GetAsync(Snapshot);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.ReadJsonAsync();
    }

    private static async Task PutLimitsAsync(HttpClient admin, string userId, string json)
    {
        using var response = await admin.PutAsync($"admin/users/{userId}/limits", Json(json));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    private static string Fingerprint(string secret) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(secret)))[..12];
}
