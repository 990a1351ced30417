using System.Diagnostics;
using System.Net;
using System.Text.Json;
using Microsoft.Playwright;
using Parley.Browser.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace Parley.Browser.Tests;

/// <summary>The Orleans Dashboard as an operator sees it: real Chromium, a real 3-silo cluster on Redis. The browser
/// is sent to the sign-in page, signs in with the admin key, and the dashboard shows the three silos and Parley's grain
/// types, with nothing fetched from outside the silo (this machine has no network).</summary>
public sealed class DashboardBrowserTests(ITestOutputHelper output)
{
    private const int Silos = 3;
    private static readonly TimeSpan UiTimeout = TimeSpan.FromSeconds(60);

    private static readonly string[] ParleyGrainTypes =
    [
        "Parley.Grains.Conversations.ConversationGrain",
        "Parley.Grains.Quotas.UserGrain",
        "Parley.Grains.UpstreamKeys.ApiKeyGrain",
    ];

    [Fact]
    public async Task An_admin_signs_in_in_Chromium_and_the_dashboard_shows_three_silos_and_Parleys_grains()
    {
        var executable = Chromium.FindExecutable();
        var total = Stopwatch.StartNew();
        await using var cluster = await SiloCluster.StartAsync(Silos);
        output.WriteLine($"{Silos} silos up at {string.Join(", ", cluster.Urls)} after {total.Elapsed.TotalSeconds:F1} s");
        await ActivateParleyGrainsAsync(cluster);

        using var playwright = await Playwright.CreateAsync();
        await using var browser = await Chromium.LaunchAsync(playwright);
        output.WriteLine($"{executable} {browser.Version}");
        await using var context = await browser.NewContextAsync(new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = 1400, Height = 900 } });
        var page = await context.NewPageAsync();
        page.SetDefaultTimeout((float)UiTimeout.TotalMilliseconds);
        Assertions.SetDefaultExpectTimeout((float)UiTimeout.TotalMilliseconds);
        var site = cluster.Urls[0];
        var watch = await PageWatch.StartAsync(page, site);

        // Opening the dashboard without a session lands on the sign-in page, which will send the browser back.
        await page.GotoAsync(new Uri(site, "dashboard").ToString());
        Assert.Equal($"{site}admin/sign-in?returnUrl=%2Fdashboard", page.Url);
        Assert.Equal("Sign in · Parley", await page.TitleAsync());

        // A mistyped key: the form comes back with an error (401), and no session.
        await page.GetByLabel("Admin key").FillAsync(SiloCluster.AdminKey + "x");
        var wrong = await page.RunAndWaitForResponseAsync(
            () => page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync(),
            response => response.Request.Method == "POST");
        Assert.Equal((int)HttpStatusCode.Unauthorized, wrong.Status);
        await Assertions.Expect(page.GetByRole(AriaRole.Alert)).ToHaveTextAsync("That is not the admin key.");
        Assert.DoesNotContain(await context.CookiesAsync(), c => c.Name == "parley_admin");
        await ScreenshotAsync(page, "sign-in-wrong-key.png");

        await page.GetByLabel("Admin key").FillAsync(SiloCluster.AdminKey);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        // As in the console's test: the address by a web-first assertion, not by waiting for a "load" event.
        await Assertions.Expect(page).ToHaveURLAsync($"{site}dashboard/");
        await Assertions.Expect(page).ToHaveTitleAsync("Orleans Dashboard");

        // The overview polls the cluster every second; wait (bounded) until it counts all three silos.
        var activeSilos = page.Locator(".info-box", new() { HasText = "Active Silos" }).Locator(".info-box-number");
        await Assertions.Expect(activeSilos).ToHaveTextAsync(Silos.ToString(System.Globalization.CultureInfo.InvariantCulture));
        output.WriteLine($"The overview shows {Silos} active silos {total.Elapsed.TotalSeconds:F1} s after the start");
        var overview = await ScreenshotAsync(page, "dashboard-overview-3-silos.png");

        // The silos page lists each of them as active.
        await page.GetByRole(AriaRole.Link, new() { Name = "Silos" }).ClickAsync();
        foreach (var url in cluster.Urls)
        {
            await Assertions.Expect(page.GetByText(url.Host + ":", new() { Exact = false }).First).ToBeVisibleAsync();
        }
        await ScreenshotAsync(page, "dashboard-silos.png");

        // The grains page shows the activations of Parley's grains made above, by type.
        await page.GetByRole(AriaRole.Link, new() { Name = "Grains", Exact = true }).ClickAsync();
        foreach (var type in ParleyGrainTypes)
        {
            await Assertions.Expect(page.Locator($"td[title='{type}']")).ToBeVisibleAsync();
        }
        await ScreenshotAsync(page, "dashboard-grains.png");

        // Grain Details lists every grain type of the cluster, Parley's among them.
        await page.GetByRole(AriaRole.Link, new() { Name = "Grain Details" }).ClickAsync();
        foreach (var type in ParleyGrainTypes)
        {
            await Assertions.Expect(page.Locator($"select option[title='{type}']")).ToHaveCountAsync(1);
        }
        var grainTypes = await page.Locator("select option").AllTextContentsAsync();
        Assert.Contains("ConversationGrain", grainTypes);
        Assert.Contains("UserGrain", grainTypes);
        Assert.Contains("ApiKeyGrain", grainTypes);
        await ScreenshotAsync(page, "dashboard-grain-types.png");

        // The session is the cluster's, not this silo's: the same cookie is accepted by another silo.
        var session = (await context.CookiesAsync()).Single(c => c.Name == "parley_admin");
        Assert.True(session.HttpOnly);
        Assert.Equal(SameSiteAttribute.Strict, session.SameSite);
        await AssertOtherSiloAcceptsAsync(cluster.Urls[1], session.Value);

        Assert.Empty(watch.OffSiteRequests);
        Assert.Empty(watch.Errors);

        // Signing out ends the session: the dashboard asks for the key again.
        await page.GotoAsync(new Uri(site, "admin/sign-out").ToString());
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign out" }).ClickAsync();
        await Assertions.Expect(page.GetByText("You have signed out.")).ToBeVisibleAsync();
        await page.GotoAsync(new Uri(site, "dashboard/").ToString());
        Assert.StartsWith($"{site}admin/sign-in", page.Url, StringComparison.Ordinal);

        output.WriteLine($"Screenshot: {overview}");
        output.WriteLine($"Done in {total.Elapsed.TotalSeconds:F1} s");
    }

    /// <summary>A conversation (ConversationGrain), its user's limits (UserGrain) and the upstream keys' health
    /// (ApiKeyGrain), through the second and third silos.</summary>
    private static async Task ActivateParleyGrainsAsync(SiloCluster cluster)
    {
        using var admin = cluster.CreateClient(1, SiloCluster.AdminKey);
        using var created = await admin.PostAsync("admin/users", Json("{\"name\":\"dashboard-viewer\"}"));
        created.EnsureSuccessStatusCode();
        var userId = (await ReadJsonAsync(created)).GetProperty("id").GetString()!;
        using var keyCreated = await admin.PostAsync($"admin/users/{userId}/keys", Json("{\"name\":\"laptop\"}"));
        keyCreated.EnsureSuccessStatusCode();
        var key = (await ReadJsonAsync(keyCreated)).GetProperty("key").GetString()!;

        using var user = cluster.CreateClient(2, key);
        using var conversation = await user.PostAsync("v1/conversations", Json("{}"));
        conversation.EnsureSuccessStatusCode();
        using var limits = await admin.GetAsync($"admin/users/{userId}/limits");
        limits.EnsureSuccessStatusCode();
        using var upstreamKeys = await admin.GetAsync("admin/upstream-keys");
        upstreamKeys.EnsureSuccessStatusCode();
    }

    private static StringContent Json(string json) => new(json, System.Text.Encoding.UTF8, "application/json");

    private static async Task<JsonElement> ReadJsonAsync(HttpResponseMessage response)
        => JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();

    private static async Task AssertOtherSiloAcceptsAsync(Uri silo, string cookie)
    {
        using var client = new HttpClient(new SocketsHttpHandler { UseCookies = false }) { BaseAddress = silo };
        using var request = new HttpRequestMessage(HttpMethod.Get, "dashboard/DashboardCounters");
        request.Headers.Add("Cookie", $"parley_admin={cookie}");
        using var response = await client.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal(Silos, json.RootElement.GetProperty("totalActiveHostCount").GetInt32());
    }

    private Task<string> ScreenshotAsync(IPage page, string name) => PageWatch.ScreenshotAsync(page, name, output);
}
