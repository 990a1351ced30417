using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Parley.Cluster.Testing.Infrastructure;
using Xunit.Abstractions;

namespace Parley.Cluster.Tests;

/// <summary>What one silo does, every other sees: the response cache and the working context live in Redis, so a silo
/// answers from what another stored; a revoke or a disable through one silo has cleared every silo's cache of trusted
/// keys before it answers.</summary>
public sealed class ClusterConsistencyTests(ClusterFixture fixture, ITestOutputHelper output) : IClassFixture<ClusterFixture>
{
    private TestCluster Cluster => fixture.Cluster;

    [Fact]
    public async Task A_completion_cached_by_one_silo_is_a_hit_on_every_other()
    {
        var body = $$"""{"model":"{{TestCluster.Model}}","temperature":0,"messages":[{"role":"user","content":"cached across silos {{Guid.NewGuid():N}}"}]}""";
        var before = Cluster.Simulator.State.RequestsReceived;
        var answers = new List<string>();
        for (var silo = 0; silo < TestCluster.SiloCount; silo++)
        {
            using var response = await Cluster.Client(Cluster.Silos[silo].Url, fixture.Key)
                .PostAsync("v1/chat/completions", new StringContent(body, Encoding.UTF8, "application/json"));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal(silo == 0 ? "miss" : "hit", response.Headers.GetValues("x-parley-cache").Single());
            answers.Add(await response.Content.ReadAsStringAsync());
        }

        Assert.Equal(1, Cluster.Simulator.State.RequestsReceived - before);
        Assert.All(answers, answer => Assert.Equal(answers[0], answer));
    }

    [Fact]
    public async Task The_working_context_written_on_one_silo_is_what_another_silo_reports()
    {
        var frontEnd = Cluster.Client(Cluster.FrontEndUrl, fixture.Key);
        var conversationId = await Http.CreateConversationAsync(frontEnd);
        await Http.TurnAsync(Cluster.Client(Cluster.Silos[0].Url, fixture.Key), conversationId, "first turn on silo 0");
        await Http.TurnAsync(Cluster.Client(Cluster.Silos[1].Url, fixture.Key), conversationId, "second turn on silo 1");

        foreach (var silo in Cluster.Silos)
        {
            using var response = await Cluster.Client(silo.Url, TestCluster.AdminKey).GetAsync($"admin/conversations/{conversationId}/context");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var context = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
            Assert.Equal(4, context.GetProperty("transcript_items").GetInt32());
            Assert.Equal([1L, 2L, 3L, 4L], context.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("seq").GetInt64()));
            Assert.Equal("o200k_base", context.GetProperty("encoding").GetString());
        }
    }

    [Fact]
    public async Task A_key_revoked_through_one_silo_is_refused_by_every_silo_as_soon_as_the_revoke_answers()
    {
        var user = await CreateUserAsync("revoked-key-user");
        var (keyId, secret) = await CreateKeyAsync(user);
        var (_, otherSecret) = await CreateKeyAsync(user);
        // Every silo has authenticated the key, so each holds it in its cache (trusted for Parley:Auth:CacheTtl, 5 s).
        await AssertStatusOnEverySiloAsync(secret, HttpStatusCode.OK);

        var revoking = Stopwatch.StartNew();
        using (var revoke = await Admin(0).PostAsync($"admin/keys/{keyId}/revoke", null))
        {
            Assert.Equal(HttpStatusCode.OK, revoke.StatusCode);
        }
        output.WriteLine($"The revoke answered after {revoking.Elapsed.TotalMilliseconds:0.0} ms, every silo having confirmed.");

        await AssertStatusOnEverySiloAsync(secret, HttpStatusCode.Unauthorized);
        // The user's other key is untouched.
        await AssertStatusOnEverySiloAsync(otherSecret, HttpStatusCode.OK);
    }

    [Fact]
    public async Task A_user_disabled_through_one_silo_is_refused_by_every_silo_as_soon_as_the_disable_answers()
    {
        var user = await CreateUserAsync("disabled-user");
        var (_, first) = await CreateKeyAsync(user);
        var (_, second) = await CreateKeyAsync(user);
        await AssertStatusOnEverySiloAsync(first, HttpStatusCode.OK);
        await AssertStatusOnEverySiloAsync(second, HttpStatusCode.OK);

        var disabling = Stopwatch.StartNew();
        using (var disable = await Admin(1).DeleteAsync($"admin/users/{user}"))
        {
            Assert.Equal(HttpStatusCode.OK, disable.StatusCode);
        }
        output.WriteLine($"The disable answered after {disabling.Elapsed.TotalMilliseconds:0.0} ms, every silo having confirmed.");

        await AssertStatusOnEverySiloAsync(first, HttpStatusCode.Unauthorized);
        await AssertStatusOnEverySiloAsync(second, HttpStatusCode.Unauthorized);
    }

    private HttpClient Admin(int silo) => Cluster.Client(Cluster.Silos[silo].Url, TestCluster.AdminKey);

    private async Task<string> CreateUserAsync(string name)
    {
        using var response = await Admin(0).PostAsJsonAsync("admin/users", new Dictionary<string, string> { ["name"] = name });
        return (await Http.ReadSuccessJsonAsync(response)).GetProperty("id").GetString()!;
    }

    private async Task<(string Id, string Secret)> CreateKeyAsync(string userId)
    {
        using var response = await Admin(0).PostAsJsonAsync($"admin/users/{userId}/keys", new Dictionary<string, string> { ["name"] = "k" });
        var key = await Http.ReadSuccessJsonAsync(response);
        return (key.GetProperty("id").GetString()!, key.GetProperty("key").GetString()!);
    }

    private async Task AssertStatusOnEverySiloAsync(string secret, HttpStatusCode expected)
    {
        foreach (var silo in Cluster.Silos)
        {
            using var response = await Cluster.Client(silo.Url, secret).GetAsync("v1/models");
            Assert.True(expected == response.StatusCode, $"{silo.Url} answered {(int)response.StatusCode}, expected {(int)expected}");
        }
    }
}
