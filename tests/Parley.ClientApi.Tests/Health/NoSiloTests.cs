using System.Net;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Parley.ClientApi.Membership;
using Parley.ClientApi.Tests.Forwarding;
using Parley.ClientApi.Tests.Infrastructure;
using Parley.ClientApi.Tests.Membership;

namespace Parley.ClientApi.Tests.Health;

public sealed class NoSiloTests
{
    [Fact]
    public async Task With_no_silo_in_the_cluster_the_front_end_is_not_ready_and_answers_an_OpenAI_shaped_503()
    {
        var source = new FakeMembershipSource();
        await using var frontEnd = await StartWithMembershipAsync(source);

        using (var ready = await frontEnd.Client.GetAsync("/health/ready"))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
            using var body = JsonDocument.Parse(await ready.Content.ReadAsStringAsync());
            Assert.Equal(0, body.RootElement.GetProperty("silos").GetInt32());
        }
        Assert.Equal(HttpStatusCode.OK, (await frontEnd.Client.GetAsync("/health/live")).StatusCode);

        using var response = await frontEnd.Client.PostAsync("/v1/chat/completions", new StringContent("{}"));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(1), response.Headers.RetryAfter?.Delta);
        await ForwardingTests.AssertOpenAIErrorAsync(response, "no_silo_available");
    }

    [Fact]
    public async Task Silos_appear_and_leave_with_the_membership()
    {
        await using var backend = await EchoBackend.StartAsync();
        var port = new Uri(backend.Url).Port;
        var source = new FakeMembershipSource();
        await using var frontEnd = await StartWithMembershipAsync(source, port);

        source.Silos = [IPAddress.Loopback];
        await frontEnd.WaitForSilosAsync(s => s.Count == 1);
        using (var response = await frontEnd.Client.PostAsync("/v1/digest", new StringContent("hello")))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal([backend.Url], response.Headers.GetValues(EchoBackend.ServedByHeader));
        }

        source.Silos = [];
        await frontEnd.WaitForSilosAsync(s => s.Count == 0);
        using var refused = await frontEnd.Client.PostAsync("/v1/digest", new StringContent("hello"));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
        Assert.Equal(1, backend.Requests);
    }

    private static Task<FrontEndHost> StartWithMembershipAsync(FakeMembershipSource source, int siloHttpPort = 8080) => FrontEndHost.StartAsync(
        new Dictionary<string, string?>
        {
            // Any value selects the membership path; the fake source stands in for the Orleans client.
            ["Parley:Redis:ConnectionString"] = "127.0.0.1:1",
            ["Parley:FrontEnd:SiloHttpPort"] = siloHttpPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Parley:FrontEnd:MembershipRefreshPeriod"] = "00:00:00.050",
        },
        services => services.AddSingleton<ISiloMembershipSource>(source));
}
