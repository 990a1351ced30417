using System.Net;
using System.Text.Json;
using Parley.Silo.Tests.Infrastructure;
using Xunit;

namespace Parley.Silo.Tests.Dashboard;

/// <summary>Who reaches the Orleans Dashboard at /dashboard: its page, assets and every JSON endpoint it maps are
/// behind the admin policy; a browser without a session is sent to the sign-in page, anything else is answered 401.</summary>
public sealed class DashboardAccessTests(DashboardFixture fixture) : IClassFixture<DashboardFixture>
{
    /// <summary>Every route the Orleans Dashboard 10.4.2 maps under its prefix (its page, assets and data API).</summary>
    public static TheoryData<string> DashboardRoutes => new()
    {
        "dashboard",
        "dashboard/",
        "dashboard/index.html",
        "dashboard/index.min.js",
        "dashboard/index.css",
        "dashboard/favicon.ico",
        "dashboard/fonts/fa-solid-900.woff2",
        "dashboard/img/OrleansLogo.png",
        "dashboard/version",
        "dashboard/DashboardCounters",
        "dashboard/ClusterStats",
        "dashboard/Reminders",
        "dashboard/Reminders/1",
        "dashboard/HistoricalStats/127.0.0.1:11111@1",
        "dashboard/SiloProperties/127.0.0.1:11111@1",
        "dashboard/SiloMetadata/127.0.0.1:11111@1",
        "dashboard/SiloStats/127.0.0.1:11111@1",
        "dashboard/SiloCounters/127.0.0.1:11111@1",
        "dashboard/GrainStats/Parley.Grains.Quotas.UserGrain",
        "dashboard/TopGrainMethods",
        "dashboard/GrainState?grainId=x&grainType=Parley.Grains.Quotas.UserGrain",
        "dashboard/LifecycleStages",
        "dashboard/GrainTypes",
        "dashboard/Trace",
    };

    private readonly SiloHarness _harness = fixture.Harness;

    [Fact]
    public async Task A_browser_without_a_session_is_sent_to_the_sign_in_page_and_back()
    {
        using var browser = fixture.CreateBrowser();

        using var response = await browser.OpenPageAsync("dashboard?x=1");

        Assert.Equal(HttpStatusCode.Found, response.StatusCode);
        Assert.Equal("/admin/sign-in?returnUrl=%2Fdashboard%3Fx%3D1", response.Location());
        using var signIn = await browser.OpenPageAsync(response.Location()!);
        Assert.Equal(HttpStatusCode.OK, signIn.StatusCode);
        var html = await signIn.Content.ReadAsStringAsync();
        Assert.Contains("<input id=\"key\" name=\"key\" type=\"password\"", html, StringComparison.Ordinal);
        Assert.Contains("name=\"returnUrl\" value=\"/dashboard?x=1\"", html, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(DashboardRoutes))]
    public async Task Without_credentials_every_dashboard_route_is_401_for_a_script(string path)
    {
        using var browser = fixture.CreateBrowser();
        using var response = await browser.FetchJsonAsync(path);
        await response.AssertErrorAsync(HttpStatusCode.Unauthorized, "invalid_api_key");
    }

    [Theory]
    [MemberData(nameof(DashboardRoutes))]
    public async Task A_user_key_is_403_on_every_dashboard_route(string path)
    {
        var (_, key) = await _harness.CreateUserAsync("dash-user");
        using var response = await _harness.CreateClient(key).GetAsync(path);
        await response.AssertErrorAsync(HttpStatusCode.Forbidden, "insufficient_permissions", type: "permission_error");
    }

    [Fact]
    public async Task A_user_key_opening_the_page_in_a_browser_is_403_too()
    {
        var (_, key) = await _harness.CreateUserAsync("dash-user");
        var client = _harness.CreateClient(key);
        client.DefaultRequestHeaders.Accept.ParseAdd("text/html");
        using var response = await client.GetAsync("dashboard/");
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
    }

    [Fact]
    public async Task A_wrong_bearer_key_is_401()
    {
        using var response = await _harness.CreateClient("sk-parley-thisKeyWasNeverIssued0000000000000000000").GetAsync("dashboard/GrainTypes");
        await response.AssertErrorAsync(HttpStatusCode.Unauthorized, "invalid_api_key");
    }

    [Fact]
    public async Task The_admin_key_as_a_bearer_token_opens_the_dashboard_page_and_its_data()
    {
        var admin = _harness.CreateClient(_harness.AdminKey);

        using var page = await admin.GetAsync("dashboard/");
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Equal("text/html", page.MediaType()?.MediaType);
        Assert.Contains("<title>Orleans Dashboard</title>", await page.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        await DashboardCounters.AssertActiveHostsAsync(() => admin.GetAsync("dashboard/DashboardCounters"), 1);
    }

    [Fact]
    public async Task The_dashboard_lists_Parleys_grain_types()
    {
        using var response = await _harness.CreateClient(_harness.AdminKey).GetAsync("dashboard/GrainTypes");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var types = (await response.ReadJsonAsync()).EnumerateArray().Select(t => t.GetString()).ToList();
        Assert.Contains("Parley.Grains.Conversations.ConversationGrain", types);
        Assert.Contains("Parley.Grains.Quotas.UserGrain", types);
        Assert.Contains("Parley.Grains.UpstreamKeys.ApiKeyGrain", types);
    }

    [Fact]
    public async Task The_live_log_stream_is_off()
    {
        using var response = await _harness.CreateClient(_harness.AdminKey).GetAsync("dashboard/Trace");
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Contains("disabled", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("health/live")]
    [InlineData("health/startup")]
    [InlineData("health/ready")]
    public async Task Health_probes_stay_anonymous(string path)
    {
        using var browser = fixture.CreateBrowser();
        using var response = await browser.FetchJsonAsync(path);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task The_public_and_admin_APIs_answer_as_before()
    {
        using var models = await _harness.CreateClient(null).GetAsync("v1/models");
        await models.AssertErrorAsync(HttpStatusCode.Unauthorized, "invalid_api_key");
        using var users = await _harness.CreateClient(_harness.AdminKey).GetAsync("admin/users");
        Assert.Equal(HttpStatusCode.OK, users.StatusCode);
        Assert.Equal(JsonValueKind.Object, (await users.ReadJsonAsync()).ValueKind);
    }
}
