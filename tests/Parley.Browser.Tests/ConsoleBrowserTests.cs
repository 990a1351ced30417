using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.Playwright;
using Parley.Browser.Tests.Infrastructure;
using Parley.Sim.Hosting;
using Parley.Testing;
using Xunit;
using Xunit.Abstractions;

namespace Parley.Browser.Tests;

/// <summary>Parley's console as an operator uses it: real Chromium, two silos on Redis, the simulator as the upstream.
/// The page is opened on the first silo while traffic goes through both: its figures move without a reload, a user's
/// limit is set and a refused upstream key re-enabled from the page (checked through the admin API of the other silo),
/// and a conversation's working context opens on click. Nothing is fetched from outside the silo and the page's
/// Content-Security-Policy is never violated.</summary>
public sealed class ConsoleBrowserTests(ITestOutputHelper output)
{
    private const int Silos = 2;
    private const string GoodKey = "sk-upstream-console-good-0123456789";
    private const string RefusedKey = "sk-upstream-console-refused-0123456789";
    private const string Model = "parley-sim";
    private const string RefusedModel = "refused-model";
    private static readonly TimeSpan UiTimeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task An_admin_watches_live_figures_sets_a_limit_and_re_enables_a_key_in_Chromium()
    {
        var total = Stopwatch.StartNew();
        // The simulator knows only the good key: the other one is answered 401, as a revoked key would be.
        await using var simulator = await SimulatorHost.StartAsync(o => o.ApiKeys = [GoodKey]);
        await using var cluster = await SiloCluster.StartAsync(Silos, settings =>
        {
            settings["Parley:Console:RefreshInterval"] = "00:00:00.500";
            TestSiloSettings.AddSimulatorProvider(settings, "sim", simulator.BaseUrl, GoodKey);
            settings[$"Parley:Models:{Model}:Provider"] = "sim";
            settings[$"Parley:Models:{Model}:UpstreamModel"] = "sim-small";
            TestSiloSettings.AddSimulatorProvider(settings, "refusing", simulator.BaseUrl, apiKey: "");
            settings["Parley:Providers:refusing:Keys:0:Id"] = "old";
            settings["Parley:Providers:refusing:Keys:0:ApiKey"] = RefusedKey;
            settings["Parley:Providers:refusing:Keys:0:RequestsPerMinute"] = "600";
            settings[$"Parley:Models:{RefusedModel}:Provider"] = "refusing";
            settings[$"Parley:Models:{RefusedModel}:UpstreamModel"] = "sim-small";
        });
        output.WriteLine($"{Silos} silos up at {string.Join(", ", cluster.Urls)} after {total.Elapsed.TotalSeconds:F1} s");

        using var admin = cluster.CreateClient(1, SiloCluster.AdminKey);
        var (userId, userKey) = await CreateUserAsync(admin, "console-operator-view");
        // Only a user with a limit is metered (an unlimited one costs no Redis round trip per request).
        using (var limited = await admin.PutAsync($"admin/users/{userId}/limits", Json("""{"requests_per_minute":1000,"tokens_per_day":1000000}""")))
        {
            limited.EnsureSuccessStatusCode();
        }
        using var viaOther = cluster.CreateClient(1, userKey);
        using var viaPageSilo = cluster.CreateClient(0, userKey);
        var conversation = await StartConversationAsync(viaOther);

        using var playwright = await Playwright.CreateAsync();
        await using var browser = await Chromium.LaunchAsync(playwright);
        await using var context = await browser.NewContextAsync(new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = 1500, Height = 1000 } });
        var page = await context.NewPageAsync();
        page.SetDefaultTimeout((float)UiTimeout.TotalMilliseconds);
        Assertions.SetDefaultExpectTimeout((float)UiTimeout.TotalMilliseconds);
        var site = cluster.Urls[0];
        // Nothing from elsewhere, no script error, no Content-Security-Policy violation (reported on the console).
        var watch = await PageWatch.StartAsync(page, site, consoleErrors: true);

        // Signed out, the console sends the browser to the sign-in page and back.
        await page.GotoAsync(new Uri(site, "console").ToString());
        Assert.StartsWith($"{site}admin/sign-in?returnUrl=", page.Url, StringComparison.Ordinal);
        await page.GetByLabel("Admin key").FillAsync(SiloCluster.AdminKey);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        // A web-first assertion on the address, not WaitForURLAsync: that also waits for the page's "load" event, and
        // once (CI, stop 20) its waiter saw only the page's "networkidle" in 60 s and timed out on a page that had loaded.
        await Assertions.Expect(page).ToHaveURLAsync($"{site}console/");
        await Assertions.Expect(page).ToHaveTitleAsync("Console · Parley");

        // --- live figures: traffic through both silos while the page stays open ---------------------------------
        var userRow = page.Locator($"tr[data-user-id='{userId}']");
        var requests = userRow.Locator("td[data-field='requests_last_minute'] .used");
        await Assertions.Expect(requests).ToHaveTextAsync("1");
        // One row per active silo for each deployment; this page's silo has made no call yet, the other one has.
        var deployment = page.Locator("tr[data-deployment='sim/sim-small']");
        await Assertions.Expect(deployment).ToHaveCountAsync(Silos);
        var local = page.Locator("tr[data-deployment='sim/sim-small'][data-local='true']");
        var remote = page.Locator("tr[data-deployment='sim/sim-small'][data-local='false']");
        await Assertions.Expect(local.Locator("td[data-field='latency_ms']")).ToHaveTextAsync("0");
        await Assertions.Expect(remote.Locator("td[data-field='latency_ms']")).Not.ToHaveTextAsync("0");
        await page.EvaluateAsync("() => { window.parleyTestMarker = 'no reload'; }");
        await ScreenshotAsync(page, "console-before-traffic.png");

        long tokens = 0;
        for (var i = 0; i < 5; i++)
        {
            tokens += await ChatAsync(i < 3 ? viaOther : viaPageSilo, Model, $"Traffic {i}");
        }
        await Assertions.Expect(requests).ToHaveTextAsync("6");
        var tokensToday = await ReadUsageAsync(admin, userId, "tokens_today");
        Assert.True(tokensToday > tokens);
        await Assertions.Expect(userRow.Locator("td[data-field='tokens_today'] .used")).ToHaveTextAsync(tokensToday.ToString("N0", System.Globalization.CultureInfo.InvariantCulture));
        // Two calls went through this page's silo: its own view of the deployment has a latency now.
        await Assertions.Expect(local.Locator("td[data-field='latency_ms']")).Not.ToHaveTextAsync("0");
        await Assertions.Expect(deployment.Locator("td[data-field='circuit']")).ToHaveTextAsync(["closed", "closed"]);
        Assert.Equal("no reload", await page.EvaluateAsync<string>("() => window.parleyTestMarker"));
        output.WriteLine($"The page counted 6 requests and {tokensToday} tokens {total.Elapsed.TotalSeconds:F1} s after the start");

        // --- set a user's limit ------------------------------------------------------------------------------------
        await userRow.GetByRole(AriaRole.Button, new() { Name = "Set limits of console-operator-view" }).ClickAsync();
        var dialog = page.Locator("#limits-dialog");
        await Assertions.Expect(dialog).ToBeVisibleAsync();
        await dialog.GetByLabel("Requests per minute").FillAsync("42");
        await dialog.GetByLabel("USD per month").FillAsync("12.5");
        var saved = await page.RunAndWaitForResponseAsync(
            () => dialog.GetByRole(AriaRole.Button, new() { Name = "Save limits" }).ClickAsync(),
            r => r.Request.Method == "PUT");
        Assert.Equal((int)HttpStatusCode.OK, saved.Status);
        await Assertions.Expect(dialog).ToBeHiddenAsync();
        var limits = await GetJsonAsync(admin, $"admin/users/{userId}/limits");
        Assert.Equal(42, limits.GetProperty("user").GetProperty("requests_per_minute").GetInt32());
        Assert.Equal(12.5m, limits.GetProperty("user").GetProperty("usd_per_month").GetDecimal());
        await Assertions.Expect(userRow.Locator("td[data-field='requests_last_minute'] .limit")).ToHaveTextAsync(" / 42");

        // --- re-enable a key the upstream refused --------------------------------------------------------------
        using (var refused = await viaOther.PostAsync("v1/chat/completions", Json(ChatBody(RefusedModel, "Refused"))))
        {
            Assert.NotEqual(HttpStatusCode.OK, refused.StatusCode);
        }
        var keyRow = page.Locator("tr[data-key='refusing/old']");
        await Assertions.Expect(keyRow).ToHaveAttributeAsync("data-state", "disabled");
        await Assertions.Expect(keyRow.Locator("td[data-field='fingerprint']")).ToHaveTextAsync("sha256:" + Fingerprint(RefusedKey));
        await ScreenshotAsync(page, "console-key-disabled.png");
        var enabled = await page.RunAndWaitForResponseAsync(
            () => keyRow.GetByRole(AriaRole.Button, new() { Name = "Re-enable refusing/old" }).ClickAsync(),
            r => r.Request.Method == "POST");
        Assert.Equal((int)HttpStatusCode.OK, enabled.Status);
        var keys = await GetJsonAsync(admin, "admin/upstream-keys");
        Assert.Equal("active", keys.GetProperty("data").EnumerateArray().Single(k => k.GetProperty("id").GetString() == "old").GetProperty("state").GetString());
        await Assertions.Expect(keyRow).ToHaveAttributeAsync("data-state", "active");
        await Assertions.Expect(page.GetByText("refusing/old is active again.")).ToBeVisibleAsync();

        // --- a conversation's working context on click -------------------------------------------------------------
        var conversationRow = page.Locator($"tr[data-conversation-id='{conversation}']");
        await Assertions.Expect(conversationRow.Locator("td[data-field='items']")).ToHaveTextAsync("2");
        await Assertions.Expect(conversationRow.Locator("td[data-field='summary']")).ToHaveTextAsync("none");
        await conversationRow.GetByRole(AriaRole.Button, new() { Name = $"Working context of {conversation}" }).ClickAsync();
        await Assertions.Expect(page.Locator("#context")).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("#context-id")).ToHaveTextAsync(conversation);
        await Assertions.Expect(page.Locator("#context-items tbody tr")).ToHaveCountAsync(2);

        var screenshot = await ScreenshotAsync(page, "console.png");
        Assert.Equal("no reload", await page.EvaluateAsync<string>("() => window.parleyTestMarker"));
        Assert.Empty(watch.OffSiteRequests);
        Assert.Empty(watch.Errors);
        output.WriteLine($"Screenshot: {screenshot}");
        output.WriteLine($"Done in {total.Elapsed.TotalSeconds:F1} s");
    }

    private static async Task<(string UserId, string Key)> CreateUserAsync(HttpClient admin, string name)
    {
        using var created = await admin.PostAsync("admin/users", Json($$"""{"name":"{{name}}"}"""));
        created.EnsureSuccessStatusCode();
        var userId = (await ReadJsonAsync(created)).GetProperty("id").GetString()!;
        using var keyCreated = await admin.PostAsync($"admin/users/{userId}/keys", Json("""{"name":"browser"}"""));
        keyCreated.EnsureSuccessStatusCode();
        return (userId, (await ReadJsonAsync(keyCreated)).GetProperty("key").GetString()!);
    }

    /// <summary>A conversation with one turn in it (the turn counts as one request of the user).</summary>
    private static async Task<string> StartConversationAsync(HttpClient user)
    {
        using var created = await user.PostAsync("v1/conversations", Json($$"""{"model":"{{Model}}","system_prompt":"You are terse."}"""));
        created.EnsureSuccessStatusCode();
        var id = (await ReadJsonAsync(created)).GetProperty("id").GetString()!;
        using var request = new HttpRequestMessage(HttpMethod.Post, "v1/chat/completions") { Content = Json(ChatBody(Model, "My name is Ada.")) };
        request.Headers.Add("X-Parley-Conversation", id);
        using var turn = await user.SendAsync(request);
        turn.EnsureSuccessStatusCode();
        return id;
    }

    private static async Task<long> ChatAsync(HttpClient user, string model, string content)
    {
        using var response = await user.PostAsync("v1/chat/completions", Json(ChatBody(model, content)));
        response.EnsureSuccessStatusCode();
        return (await ReadJsonAsync(response)).GetProperty("usage").GetProperty("total_tokens").GetInt64();
    }

    private static async Task<long> ReadUsageAsync(HttpClient admin, string userId, string field)
        => (await GetJsonAsync(admin, $"admin/users/{userId}/usage")).GetProperty("usage").GetProperty(field).GetInt64();

    private static string ChatBody(string model, string content) => $$"""{"model":"{{model}}","messages":[{"role":"user","content":"{{content}}"}]}""";

    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    private static async Task<JsonElement> GetJsonAsync(HttpClient client, string path)
    {
        using var response = await client.GetAsync(path);
        response.EnsureSuccessStatusCode();
        return await ReadJsonAsync(response);
    }

    private static async Task<JsonElement> ReadJsonAsync(HttpResponseMessage response)
        => JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();

    private static string Fingerprint(string secret)
        => Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes(secret)))[..12];

    private Task<string> ScreenshotAsync(IPage page, string name) => PageWatch.ScreenshotAsync(page, name, output);
}
