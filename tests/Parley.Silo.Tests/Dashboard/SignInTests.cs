using System.Diagnostics;
using System.Net;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Parley.Silo.Auth.Sessions;
using Parley.Silo.Tests.Infrastructure;
using Xunit;

namespace Parley.Silo.Tests.Dashboard;

/// <summary>The sign-in page: the admin key buys a browser session cookie (HttpOnly, SameSite=Strict), a wrong key
/// buys nothing, and the key is never logged.</summary>
public sealed class SignInTests(DashboardFixture fixture) : IClassFixture<DashboardFixture>
{
    private readonly SiloHarness _harness = fixture.Harness;

    [Fact]
    public async Task Signing_in_with_the_admin_key_opens_the_dashboard_and_its_data()
    {
        using var browser = fixture.CreateBrowser();

        using var signIn = await browser.SignInAsync(_harness.AdminKey, returnUrl: "/dashboard");

        Assert.Equal(HttpStatusCode.SeeOther, signIn.StatusCode);
        Assert.Equal("/dashboard", signIn.Location());
        Assert.NotNull(browser.SessionCookie);
        using var redirect = await browser.OpenPageAsync("dashboard");
        Assert.Equal(HttpStatusCode.MovedPermanently, redirect.StatusCode);
        Assert.Equal("/dashboard/", redirect.Location());
        using var page = await browser.OpenPageAsync("dashboard/");
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Contains("<title>Orleans Dashboard</title>", await page.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        using var script = await browser.FetchJsonAsync("dashboard/index.min.js");
        Assert.Equal(HttpStatusCode.OK, script.StatusCode);
        await DashboardCounters.AssertActiveHostsAsync(() => browser.FetchJsonAsync("dashboard/DashboardCounters"), 1);
    }

    [Fact]
    public async Task The_session_cookie_is_HttpOnly_SameSite_Strict_for_the_browser_session_only()
    {
        using var browser = fixture.CreateBrowser();
        using var signIn = await browser.SignInAsync(_harness.AdminKey);

        var cookie = Assert.Single(browser.SetCookiesFor(AdminSessions.CookieName));
        var attributes = cookie.Split(';').Skip(1).Select(a => a.Trim().ToLowerInvariant()).ToList();
        Assert.Contains("httponly", attributes);
        Assert.Contains("samesite=strict", attributes);
        Assert.Contains("path=/", attributes);
        // Plain HTTP here; over HTTPS the policy adds Secure. No expiry: it ends with the browser session, and the
        // ticket inside expires after CookieLifetime without use.
        Assert.DoesNotContain("secure", attributes);
        Assert.DoesNotContain(attributes, a => a.StartsWith("expires=", StringComparison.Ordinal) || a.StartsWith("max-age=", StringComparison.Ordinal));
        // The antiforgery cookie of the form is locked down the same way.
        var antiforgery = browser.SetCookiesFor(AdminSessions.AntiforgeryCookieName).First().ToLowerInvariant();
        Assert.Contains("httponly", antiforgery, StringComparison.Ordinal);
        Assert.Contains("samesite=strict", antiforgery, StringComparison.Ordinal);
    }

    [Fact]
    public void Over_HTTPS_the_cookie_is_Secure_and_it_lasts_8_hours_sliding()
    {
        var options = _harness.Services.GetRequiredService<IOptionsMonitor<CookieAuthenticationOptions>>().Get(AdminSessions.CookieScheme);
        Assert.Equal(CookieSecurePolicy.SameAsRequest, options.Cookie.SecurePolicy);
        Assert.Equal(TimeSpan.FromHours(8), options.ExpireTimeSpan);
        Assert.True(options.SlidingExpiration);
    }

    [Fact]
    public async Task After_signing_in_on_the_sign_in_page_itself_the_browser_lands_on_the_dashboard()
    {
        using var browser = fixture.CreateBrowser();
        using var signIn = await browser.SignInAsync(_harness.AdminKey);
        Assert.Equal(HttpStatusCode.SeeOther, signIn.StatusCode);
        Assert.Equal("/dashboard/", signIn.Location());
    }

    [Theory]
    [InlineData("https://evil.example/")]
    [InlineData("//evil.example/")]
    [InlineData("/\\evil.example/")]
    [InlineData("/\t/evil.example/")]
    [InlineData("javascript:alert(1)")]
    [InlineData("dashboard")]
    public async Task The_return_url_is_local_only(string returnUrl)
    {
        using var browser = fixture.CreateBrowser();

        using var form = await browser.OpenPageAsync($"admin/sign-in?returnUrl={Uri.EscapeDataString(returnUrl)}");
        Assert.Contains("name=\"returnUrl\" value=\"/dashboard/\"", await form.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        using var signIn = await browser.SignInAsync(_harness.AdminKey, returnUrl);
        Assert.Equal(HttpStatusCode.SeeOther, signIn.StatusCode);
        Assert.Equal("/dashboard/", signIn.Location());
    }

    [Fact]
    public async Task A_wrong_key_shows_the_form_again_with_401_after_a_delay_and_sets_no_session()
    {
        using var browser = fixture.CreateBrowser();
        var stopwatch = Stopwatch.StartNew();

        using var response = await browser.SignInAsync("sk-parley-not-the-admin-key-000000000000000000000", returnUrl: "/dashboard/");

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.True(stopwatch.Elapsed >= TimeSpan.FromMilliseconds(190), $"answered after {stopwatch.Elapsed}");
        var html = await response.Content.ReadAsStringAsync();
        Assert.Contains("That is not the admin key.", html, StringComparison.Ordinal);
        Assert.Contains("<form method=\"post\" action=\"/admin/sign-in\">", html, StringComparison.Ordinal);
        Assert.Contains("name=\"returnUrl\" value=\"/dashboard/\"", html, StringComparison.Ordinal);
        Assert.DoesNotContain("not-the-admin-key", html, StringComparison.Ordinal);
        Assert.Empty(browser.SetCookiesFor(AdminSessions.CookieName));
        using var page = await browser.OpenPageAsync("dashboard/");
        Assert.Equal(HttpStatusCode.Found, page.StatusCode);
    }

    [Fact]
    public async Task A_user_key_does_not_sign_in()
    {
        var (_, key) = await _harness.CreateUserAsync("would-be-admin");
        using var browser = fixture.CreateBrowser();

        using var response = await browser.SignInAsync(key);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Contains("That is not the admin key.", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Null(browser.SessionCookie);
    }

    [Fact]
    public async Task A_form_without_its_antiforgery_token_is_refused()
    {
        using var browser = fixture.CreateBrowser();
        await browser.GetFormTokenAsync(AdminSessions.SignInPath);

        using var response = await browser.PostFormAsync(AdminSessions.SignInPath, new Dictionary<string, string> { ["key"] = _harness.AdminKey });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Null(browser.SessionCookie);
    }

    [Fact]
    public async Task A_token_from_another_browser_is_refused()
    {
        using var attacker = fixture.CreateBrowser();
        var token = await attacker.GetFormTokenAsync(AdminSessions.SignInPath);
        using var victim = fixture.CreateBrowser();
        await victim.GetFormTokenAsync(AdminSessions.SignInPath);

        using var response = await victim.PostFormAsync(AdminSessions.SignInPath, new Dictionary<string, string>
        {
            [AdminSessions.AntiforgeryFieldName] = token,
            ["key"] = _harness.AdminKey,
        });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Null(victim.SessionCookie);
    }

    [Fact]
    public async Task Signing_out_clears_the_session()
    {
        using var browser = fixture.CreateBrowser();
        using (var signIn = await browser.SignInAsync(_harness.AdminKey))
        {
            Assert.NotNull(browser.SessionCookie);
        }

        using var signOut = await browser.SignOutAsync();

        Assert.Equal(HttpStatusCode.SeeOther, signOut.StatusCode);
        Assert.Equal("/admin/sign-in?signedOut=1", signOut.Location());
        var cleared = browser.SetCookiesFor(AdminSessions.CookieName).Last();
        Assert.Contains("expires=Thu, 01 Jan 1970", cleared, StringComparison.OrdinalIgnoreCase);
        Assert.Null(browser.SessionCookie);
        using var page = await browser.OpenPageAsync("dashboard/");
        Assert.Equal(HttpStatusCode.Found, page.StatusCode);
        using var data = await browser.FetchJsonAsync("dashboard/DashboardCounters");
        Assert.Equal(HttpStatusCode.Unauthorized, data.StatusCode);
        using var note = await browser.OpenPageAsync(signOut.Location()!);
        Assert.Contains("You have signed out.", await note.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_forged_session_cookie_is_refused()
    {
        using var browser = fixture.CreateBrowser();
        browser.SetCookie(AdminSessions.CookieName, "CfDJ8AAAAAAAAAAAAAAAAAAAAAAforged");
        using var data = await browser.FetchJsonAsync("dashboard/DashboardCounters");
        Assert.Equal(HttpStatusCode.Unauthorized, data.StatusCode);
    }

    [Fact]
    public async Task The_admin_key_never_appears_in_the_logs()
    {
        const string WrongKey = "sk-parley-wrong-but-also-secret-11111111111111111";
        using var browser = fixture.CreateBrowser();
        using (await browser.SignInAsync(WrongKey))
        {
        }
        using (var signIn = await browser.SignInAsync(_harness.AdminKey))
        {
            Assert.Equal(HttpStatusCode.SeeOther, signIn.StatusCode);
        }
        using (await browser.FetchJsonAsync("dashboard/DashboardCounters"))
        {
        }
        using (await _harness.CreateClient(_harness.AdminKey).GetAsync("dashboard/GrainTypes"))
        {
        }

        var lines = fixture.Logs.Lines.ToList();
        // The capture works and saw the sign-ins (so the absence below means something).
        Assert.Contains(lines, l => l.Contains("[2201]", StringComparison.Ordinal) && l.Contains("signed in", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains("[2202]", StringComparison.Ordinal));
        foreach (var secret in new[] { _harness.AdminKey, WrongKey })
        {
            Assert.DoesNotContain(lines, l => l.Contains(secret, StringComparison.Ordinal));
            Assert.DoesNotContain(lines, l => l.Contains(Uri.EscapeDataString(secret), StringComparison.Ordinal));
        }
    }
}
