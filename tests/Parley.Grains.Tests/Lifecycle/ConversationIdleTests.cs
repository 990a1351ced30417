using Microsoft.Extensions.DependencyInjection;
using Orleans.Configuration;
using Parley.GrainInterfaces.Conversations;
using Parley.Grains.Conversations;
using Parley.Grains.Tests.Infrastructure;

namespace Parley.Grains.Tests.Lifecycle;

/// <summary>A conversation in use stays activated; after its idle timeout (30 minutes by default, given to Orleans as the
/// conversation grain's collection age) Orleans' activation collector deactivates it, its state safe in storage. Orleans
/// measures an activation's idleness with its own stopwatch, not a TimeProvider, so this runs in real time with a
/// one-second timeout and bounded waits.</summary>
public sealed class ConversationIdleTests
{
    private static readonly TimeSpan IdleTimeout = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan Quantum = TimeSpan.FromMilliseconds(100);

    [Fact]
    public async Task A_used_conversation_stays_activated_and_an_idle_one_is_deactivated_after_the_timeout()
    {
        await using var cluster = await GrainCluster.StartAsync(configure: services => services.Configure<GrainCollectionOptions>(o =>
        {
            o.CollectionQuantum = Quantum;
            o.ClassSpecificCollectionAge[typeof(ConversationGrain).FullName!] = IdleTimeout;
        }));
        var id = "conv_" + new string('a', 32);
        var grainId = GrainId.Create(ConversationGrain.GrainTypeName, id);
        var grain = cluster.Grains.GetGrain<IConversationGrain>(id);
        Assert.NotNull(await grain.CreateAsync("user_1", new Dictionary<string, string>(), [], ConversationSettings.None));

        // Used every quarter of its timeout for three timeouts: never collected.
        for (var i = 0; i < 12; i++)
        {
            await Task.Delay(IdleTimeout / 4);
            Assert.NotNull(await grain.GetAsync("user_1"));
            Assert.True(cluster.Cluster.TryGetGrainContext(grainId, out _));
        }

        await WaitUntilAsync(() => !cluster.Cluster.TryGetGrainContext(grainId, out _));
        // Activated again on its next use, its state read back from storage.
        Assert.Equal(id, (await grain.GetAsync("user_1"))!.Id);
        Assert.True(cluster.Cluster.TryGetGrainContext(grainId, out _));
    }

    /// <summary>The collector runs every quantum; its deactivation finishes asynchronously.</summary>
    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "timed out waiting for the collector");
            await Task.Delay(5);
        }
    }
}
