using System.Net;
using Microsoft.Extensions.Options;
using Parley.Silo.Auth.Sessions;
using Parley.Silo.Dashboard;
using Parley.Silo.Tests.Infrastructure;
using Xunit;

namespace Parley.Silo.Tests.Dashboard;

/// <summary>Parley:Dashboard: validated at start, and Enabled=false removes the dashboard and its sign-in.</summary>
public sealed class DashboardOptionsTests
{
    [Fact]
    public async Task Disabled_there_is_no_dashboard_and_the_sign_in_stays_for_the_console()
    {
        await using var harness = await SiloHarness.StartAsync(s => s["Parley:Dashboard:Enabled"] = "false");
        var admin = harness.CreateClient(harness.AdminKey);

        foreach (var path in new[] { "dashboard/", "dashboard/DashboardCounters" })
        {
            using var response = await admin.GetAsync(path);
            await response.AssertErrorAsync(HttpStatusCode.NotFound, "unknown_url");
        }
        using var browser = new BrowserClient(harness.SiloUrl);
        // Straight to the sign-in page, an admin lands on the console.
        using var signedIn = await browser.SignInAsync(harness.AdminKey);
        Assert.Equal(HttpStatusCode.SeeOther, signedIn.StatusCode);
        Assert.Equal("/console/", signedIn.Location());
        using var console = await browser.OpenPageAsync("console/");
        Assert.Equal(HttpStatusCode.OK, console.StatusCode);
    }

    [Fact]
    public async Task With_the_console_disabled_too_there_is_no_sign_in_page()
    {
        await using var harness = await SiloHarness.StartAsync(s =>
        {
            s["Parley:Dashboard:Enabled"] = "false";
            s["Parley:Console:Enabled"] = "false";
        });
        var admin = harness.CreateClient(harness.AdminKey);

        foreach (var path in new[] { "dashboard/", "dashboard/DashboardCounters", "admin/sign-in", "console/", "console/api/snapshot" })
        {
            using var response = await admin.GetAsync(path);
            await response.AssertErrorAsync(HttpStatusCode.NotFound, "unknown_url");
        }
        using var health = await harness.CreateClient(null).GetAsync("health/ready");
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
    }

    [Theory]
    [InlineData("Parley:Dashboard:CounterUpdateInterval", "00:00:00.500", "CounterUpdateInterval")]
    [InlineData("Parley:Dashboard:CookieLifetime", "00:00:30", "CookieLifetime")]
    [InlineData("Parley:Dashboard:CookieLifetime", "30.00:00:00", "CookieLifetime")]
    [InlineData("Parley:Dashboard:MaxSignInFailures", "0", "MaxSignInFailures")]
    [InlineData("Parley:Dashboard:SignInFailureDelay", "00:01:00", "SignInFailureDelay")]
    public async Task A_bad_value_stops_the_silo_naming_the_setting(string key, string value, string name)
    {
        var error = await Assert.ThrowsAnyAsync<OptionsValidationException>(async () =>
        {
            await using var harness = await SiloHarness.StartAsync(s => s[key] = value);
        });
        Assert.Contains($"Parley:Dashboard:{name}", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_defaults_are_valid()
    {
        Assert.True(new SiloDashboardOptionsValidator().Validate(null, new SiloDashboardOptions()).Succeeded);
        Assert.True(new AdminSessionOptionsValidator("Parley:Dashboard").Validate(null, new AdminSessionOptions()).Succeeded);
        Assert.Equal(TimeSpan.FromHours(8), new AdminSessionOptions().CookieLifetime);
        Assert.True(new SiloDashboardOptions().Enabled);
        Assert.False(new SiloDashboardOptions().LogStream);
    }
}
