using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Parley.Silo.Auth;
using Parley.Silo.Tests.Infrastructure;
using Parley.Testing;
using Xunit;

namespace Parley.Silo.Tests.Dashboard;

/// <summary>How long a session lasts: 8 hours without use (sliding), and not a moment after its key stops working.
/// Driven by a manual clock given to the silo.</summary>
public sealed class SessionLifetimeTests
{
    [Fact]
    public async Task A_session_lasts_eight_hours_without_use_and_slides_with_use()
    {
        var time = new ManualTimeProvider(DateTimeOffset.UtcNow);
        await using var harness = await SiloHarness.StartAsync(configureBuilder: b => b.Services.AddSingleton<TimeProvider>(time));
        using var browser = new BrowserClient(harness.SiloUrl);
        using (var signIn = await browser.SignInAsync(harness.AdminKey))
        {
            Assert.Equal(HttpStatusCode.SeeOther, signIn.StatusCode);
        }

        // Past half its lifetime a request renews the cookie, so use keeps the session alive.
        time.Advance(TimeSpan.FromHours(5));
        var issued = browser.SetCookieHeaders.Count;
        await AssertStatusAsync(browser, HttpStatusCode.OK);
        Assert.True(browser.SetCookieHeaders.Count > issued, "The session was not renewed.");
        time.Advance(TimeSpan.FromHours(5));
        await AssertStatusAsync(browser, HttpStatusCode.OK);

        time.Advance(TimeSpan.FromHours(8) + TimeSpan.FromMinutes(1));
        await AssertStatusAsync(browser, HttpStatusCode.Unauthorized);
        using var page = await browser.OpenPageAsync("dashboard/");
        Assert.Equal(HttpStatusCode.Found, page.StatusCode);
    }

    [Fact]
    public async Task The_lifetime_is_a_setting()
    {
        var time = new ManualTimeProvider(DateTimeOffset.UtcNow);
        await using var harness = await SiloHarness.StartAsync(s => s["Parley:Dashboard:CookieLifetime"] = "00:10:00",
            configureBuilder: b => b.Services.AddSingleton<TimeProvider>(time));
        using var browser = new BrowserClient(harness.SiloUrl);
        using (await browser.SignInAsync(harness.AdminKey))
        {
        }
        time.Advance(TimeSpan.FromMinutes(9));
        await AssertStatusAsync(browser, HttpStatusCode.OK);
        time.Advance(TimeSpan.FromMinutes(11));
        await AssertStatusAsync(browser, HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task Revoking_an_admin_key_ends_its_sessions_at_once()
    {
        // A long cache: the session can only end at once because the revoke told this silo's caches to forget the key.
        await using var harness = await SiloHarness.StartAsync(s => s["Parley:Auth:CacheTtl"] = "00:05:00");
        var identities = harness.Services.GetRequiredService<IdentityManager>();
        var (_, key, secret, _) = await identities.CreateKeyAsync(userId: null, "operator", CancellationToken.None);
        using var browser = new BrowserClient(harness.SiloUrl);
        using (var signIn = await browser.SignInAsync(secret!))
        {
            Assert.Equal(HttpStatusCode.SeeOther, signIn.StatusCode);
        }
        await AssertStatusAsync(browser, HttpStatusCode.OK);

        using (var revoke = await harness.CreateClient(harness.AdminKey).PostAsync($"admin/keys/{key!.Id}/revoke", null))
        {
            Assert.Equal(HttpStatusCode.OK, revoke.StatusCode);
        }

        await AssertStatusAsync(browser, HttpStatusCode.Unauthorized);
    }

    private static async Task AssertStatusAsync(BrowserClient browser, HttpStatusCode expected)
    {
        using var response = await browser.FetchJsonAsync("dashboard/DashboardCounters");
        Assert.Equal(expected, response.StatusCode);
    }
}
