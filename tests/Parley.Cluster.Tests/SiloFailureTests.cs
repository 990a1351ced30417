using System.Diagnostics;
using System.Net;
using System.Text.Json;
using Parley.Cluster.Testing.Infrastructure;
using Xunit.Abstractions;

namespace Parley.Cluster.Tests;

/// <summary>A silo killed mid-run (a crash: no drain, no membership leave). Its own cluster, since it breaks it.</summary>
public sealed class SiloFailureTests(ITestOutputHelper output)
{
    private const int MinConversationsPerSide = 2;
    private const int MaxConversations = 40;

    [Fact]
    public async Task Killing_a_silo_leaves_every_other_conversation_working_and_its_conversations_served_again_within_seconds()
    {
        await using var cluster = await TestCluster.StartAsync();
        var key = await cluster.CreateUserKeyAsync("failure-user");
        var frontEnd = cluster.Client(cluster.FrontEndUrl, key);
        var admin = cluster.Client(cluster.FrontEndUrl, TestCluster.AdminKey);
        var victim = cluster.Silos[0];

        // Conversations with one turn each, until both the victim and the survivors hold a few (Orleans places each on
        // the silo the front end sends it to).
        var history = new Dictionary<string, List<(string Role, string Text)>>();
        var onVictim = new List<string>();
        var onSurvivors = new List<string>();
        while (onVictim.Count < MinConversationsPerSide || onSurvivors.Count < MinConversationsPerSide)
        {
            Assert.True(history.Count < MaxConversations, "the front end never sent a conversation to one of the silos");
            var id = await Http.CreateConversationAsync(frontEnd);
            history[id] = [];
            await TurnAsync(frontEnd, id, history[id], "before the crash");
            (await HostOfAsync(admin, id) == victim.Address.ToString() ? onVictim : onSurvivors).Add(id);
        }

        var killedAt = Stopwatch.StartNew();
        cluster.Kill(0);

        // Conversations on the survivors never notice.
        foreach (var id in onSurvivors)
        {
            await TurnAsync(frontEnd, id, history[id], "right after the crash");
        }
        // The victim's conversations: the front end stops sending to it, and Orleans activates them elsewhere once the
        // survivors declare it dead; a turn that arrives meanwhile waits (within the retry budget), never fails.
        foreach (var id in onVictim)
        {
            await TurnAsync(frontEnd, id, history[id], "while the victim is declared dead");
        }
        var servedAgain = killedAt.Elapsed;
        output.WriteLine($"The killed silo's conversations were served again {servedAgain.TotalSeconds:0.0} s after the kill.");
        Assert.True(servedAgain < TimeSpan.FromSeconds(15), $"the killed silo's conversations took {servedAgain} to be served again");
        await cluster.WaitForFrontEndAsync(TestCluster.SiloCount - 1);

        foreach (var id in history.Keys)
        {
            await TurnAsync(frontEnd, id, history[id], "after the victim was declared dead");
        }
        // Every turn of every conversation is there, read through every survivor.
        foreach (var (id, turns) in history)
        {
            Assert.Equal(6, turns.Count);
            foreach (var survivor in cluster.Silos.Where(s => s != victim))
            {
                Assert.Equal(turns, await Http.ItemsAsync(cluster.Client(survivor.Url, key), id));
            }
            Assert.NotEqual(victim.Address.ToString(), await HostOfAsync(admin, id));
        }
    }

    /// <summary>The IP address of the silo a conversation is activated on, from the operator's view of it.</summary>
    private static async Task<string> HostOfAsync(HttpClient admin, string conversationId)
    {
        using var response = await admin.GetAsync($"admin/conversations/{conversationId}/context");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var silo = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("silo").GetString()!;
        // Orleans' silo identity, e.g. "S127.0.0.2:40123:123456789".
        return silo.TrimStart('S').Split(':')[0];
    }

    private static async Task TurnAsync(HttpClient client, string conversationId, List<(string Role, string Text)> turns, string when)
    {
        var text = $"{conversationId} {when}";
        var answer = await Http.TurnAsync(client, conversationId, text);
        turns.Add(("user", text));
        turns.Add(("assistant", answer));
    }
}
