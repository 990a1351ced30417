using System.Net;
using Parley.Silo.Auth.Sessions;
using Parley.Silo.Tests.Infrastructure;
using Parley.Testing;
using Xunit;

namespace Parley.Silo.Tests.Dashboard;

/// <summary>A session belongs to the cluster, not to the silo that made it: silos on one Redis share the keys that
/// protect cookies and forms (made once, even when the silos start together), so a load-balanced operators' Service
/// may send each request of a browser to another silo.</summary>
public sealed class ClusterSessionTests(RedisServerFixture redis) : IClassFixture<RedisServerFixture>
{
    [Fact]
    public async Task Silos_started_together_share_one_key_and_accept_each_others_sessions_and_forms()
    {
        var cluster = "dash" + Guid.NewGuid().ToString("N")[..8];
        var silos = await Task.WhenAll(Enumerable.Range(0, 2).Select(_ => SiloHarness.StartAsync(s =>
        {
            s["Parley:Redis:ConnectionString"] = redis.ConnectionString;
            s["Parley:Redis:KeyPrefix"] = cluster;
            s["Parley:Cluster:ClusterId"] = cluster;
            s["Parley:Cluster:ServiceId"] = cluster;
            s["Parley:Cluster:AdvertisedAddress"] = "127.0.0.1";
        })));
        try
        {
            var (first, second) = (silos[0], silos[1]);
            Assert.Equal("1", await redis.Server.ExecuteAsync(CancellationToken.None, "LLEN", $"{{{cluster}:data-protection}}:keys"));

            // The form comes from one silo and is posted to the other.
            using var onFirst = new BrowserClient(first.SiloUrl);
            var token = await onFirst.GetFormTokenAsync(AdminSessions.SignInPath);
            using var onSecond = new BrowserClient(second.SiloUrl);
            foreach (var (name, value) in onFirst.Cookies)
            {
                onSecond.SetCookie(name, value);
            }
            using var signIn = await onSecond.PostFormAsync(AdminSessions.SignInPath, new Dictionary<string, string>
            {
                [AdminSessions.AntiforgeryFieldName] = token,
                ["key"] = second.AdminKey,
            });
            Assert.Equal(HttpStatusCode.SeeOther, signIn.StatusCode);

            // The session made by the second silo opens the first's dashboard, which counts both silos (its counters
            // are sampled every second: poll, bounded).
            onFirst.SetCookie(AdminSessions.CookieName, onSecond.SessionCookie!);
            await DashboardCounters.AssertActiveHostsAsync(() => onFirst.FetchJsonAsync("dashboard/DashboardCounters"), 2);
        }
        finally
        {
            foreach (var silo in silos)
            {
                await silo.DisposeAsync();
            }
        }
    }
}
