using System.Diagnostics;
using Parley.ClientApi.Routing;
using Parley.Cluster.Tests.Infrastructure;

namespace Parley.Cluster.Tests;

/// <summary>A silo killed mid-run (a crash: no drain, no membership leave). Its own cluster, since it breaks it.</summary>
public sealed class SiloFailureTests
{
    private const int MinConversationsPerSide = 2;
    private const int MaxConversations = 40;

    [Fact]
    public async Task Killing_a_silo_leaves_every_other_conversation_working_and_its_conversations_recoverable()
    {
        await using var cluster = await TestCluster.StartAsync();
        var key = await cluster.CreateUserKeyAsync("failure-user");
        var frontEnd = cluster.Client(cluster.FrontEndUrl, key);
        var victim = cluster.Silos[0];
        var view = cluster.FrontEndView;

        // Conversations with one turn each, until both the victim and the survivors own a few.
        var history = new Dictionary<string, List<(string Role, string Text)>>();
        var onVictim = new List<string>();
        var onSurvivors = new List<string>();
        while (onVictim.Count < MinConversationsPerSide || onSurvivors.Count < MinConversationsPerSide)
        {
            Assert.True(history.Count < MaxConversations, "rendezvous hashing never picked one of the silos");
            var id = await Http.CreateConversationAsync(frontEnd);
            history[id] = [];
            await TurnAsync(frontEnd, id, history[id], "before the crash");
            (view.Pick(RoutingHash.Of(id))!.Address == victim.Url ? onVictim : onSurvivors).Add(id);
        }

        victim.Kill();
        var killedAt = Stopwatch.StartNew();
        // Watched from the moment of the kill, alongside the requests below.
        var dropped = WhenDroppedAsync(cluster, victim.Url, killedAt);

        // Conversations on the survivors never notice.
        foreach (var id in onSurvivors)
        {
            await TurnAsync(frontEnd, id, history[id], "right after the crash");
        }
        // Until membership declares the victim dead, its conversations are refused by it and tried on the next silo.
        foreach (var id in onVictim)
        {
            await TurnAsync(frontEnd, id, history[id], "while the victim is still listed");
        }

        // Its last heartbeat is at most IAmAlivePeriod old at the kill; readers refresh every RefreshPeriod.
        var droppedAfter = await dropped;
        Assert.True(droppedAfter < TestCluster.DeathTimeout + TimeSpan.FromSeconds(3), $"the killed silo stayed routable for {droppedAfter}");

        foreach (var id in history.Keys)
        {
            await TurnAsync(frontEnd, id, history[id], "after the victim was declared dead");
        }
        // Every turn of every conversation, including the victim's, is there: read back from Redis by the survivors.
        foreach (var (id, turns) in history)
        {
            Assert.Equal(6, turns.Count);
            Assert.Equal(turns, await Http.ItemsAsync(frontEnd, id));
            foreach (var survivor in cluster.Silos.Where(s => s != victim))
            {
                Assert.Equal(turns, await Http.ItemsAsync(cluster.Client(survivor.Url, key), id));
            }
        }
    }

    private static async Task<TimeSpan> WhenDroppedAsync(TestCluster cluster, string victimUrl, Stopwatch sinceKill)
    {
        await TestCluster.WaitUntilAsync(() => cluster.FrontEndView.Nodes.All(n => n.Address != victimUrl),
            "the front end stops routing to the killed silo", TestCluster.DeathTimeout * 4);
        return sinceKill.Elapsed;
    }

    private static async Task TurnAsync(HttpClient client, string conversationId, List<(string Role, string Text)> turns, string when)
    {
        var text = $"{conversationId} {when}";
        var answer = await Http.TurnAsync(client, conversationId, text);
        turns.Add(("user", text));
        turns.Add(("assistant", answer));
    }
}
