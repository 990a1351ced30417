using System.Net;
using System.Text;
using System.Text.Json;
using Parley.Cluster.Testing.Infrastructure;

namespace Parley.Cluster.Tests;

/// <summary>The response cache and the working context are cluster-wide: both live in Redis, so a silo answers from
/// what another silo stored.</summary>
public sealed class ClusterCacheAndContextTests(ClusterFixture fixture) : IClassFixture<ClusterFixture>
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
}
