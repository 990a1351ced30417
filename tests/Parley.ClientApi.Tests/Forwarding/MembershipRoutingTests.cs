using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Parley.ClientApi.Tests.Infrastructure;
using Parley.Runtime.Hosting;
using Parley.Runtime.Membership;
using Parley.Testing;

namespace Parley.ClientApi.Tests.Forwarding;

/// <summary>The front end on real Redis membership: silos appear and disappear as their rows change.</summary>
public sealed class MembershipRoutingTests(RedisServerFixture redis) : IClassFixture<RedisServerFixture>
{
    private static readonly TimeSpan ConvergeTimeout = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task Without_live_silos_the_front_end_is_not_ready_and_answers_an_OpenAI_shaped_503()
    {
        var clusterId = NewClusterId();
        await using var frontEnd = await StartFrontEndAsync(clusterId);

        using var ready = await frontEnd.Client.GetAsync("/health/ready");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await frontEnd.Client.GetAsync("/health/live")).StatusCode);

        using var response = await frontEnd.Client.GetAsync("/v1/models");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        await ForwardingTests.AssertOpenAIErrorAsync(response, "no_silo_available");
    }

    [Fact]
    public async Task A_silo_is_routed_to_while_its_row_is_active_and_dropped_when_it_dies()
    {
        var clusterId = NewClusterId();
        await using var backend = await EchoBackend.StartAsync();
        await using var tableServices = TableServices(clusterId);
        var table = tableServices.GetRequiredService<IMembershipTable>();
        await table.InitializeMembershipTable(true);
        await using var frontEnd = await StartFrontEndAsync(clusterId);

        var now = DateTimeOffset.UtcNow;
        var row = new MembershipEntry("silo-a", backend.Url, SiloStatus.Active, "test-host", now, now);
        Assert.True(await table.InsertRow(row, (await table.ReadAll()).Version.Next()));
        await WaitForReadyAsync(frontEnd, HttpStatusCode.OK);

        using (var response = await frontEnd.Client.PostAsync("/v1/digest", new StringContent("hello")))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Contains("length=5\n", await response.Content.ReadAsStringAsync());
        }

        var data = await table.ReadAll();
        var (entry, etag) = data.Members.Single();
        Assert.True(await table.UpdateRow(entry with { Status = SiloStatus.Dead }, etag, data.Version.Next()));
        await WaitForReadyAsync(frontEnd, HttpStatusCode.ServiceUnavailable);

        var requestsBefore = backend.Requests;
        using var refused = await frontEnd.Client.PostAsync("/v1/digest", new StringContent("hello"));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
        Assert.Equal(requestsBefore, backend.Requests);
    }

    private static string NewClusterId() => "fe-" + Guid.NewGuid().ToString("N");

    private ServiceProvider TableServices(string clusterId)
    {
        var services = new ServiceCollection().AddLogging();
        services.AddRedis(o => o.ConnectionString = redis.ConnectionString);
        services.AddRedisMembershipTable();
        services.Configure<MembershipOptions>(o => o.ClusterId = clusterId);
        return services.BuildServiceProvider();
    }

    private Task<FrontEndHost> StartFrontEndAsync(string clusterId) => FrontEndHost.StartAsync(new Dictionary<string, string?>
    {
        ["Parley:Redis:ConnectionString"] = redis.ConnectionString,
        ["Parley:Membership:ClusterId"] = clusterId,
        ["Parley:Membership:RefreshPeriod"] = "00:00:00.100",
    });

    // Polls the readiness probe (the membership reader refreshes on its own period) within a bound.
    private static async Task WaitForReadyAsync(FrontEndHost frontEnd, HttpStatusCode expected)
    {
        using var cts = new CancellationTokenSource(ConvergeTimeout);
        while (true)
        {
            using (var response = await frontEnd.Client.GetAsync("/health/ready", cts.Token))
            {
                if (response.StatusCode == expected)
                {
                    return;
                }
            }
            await Task.Delay(50, cts.Token);
        }
    }
}
