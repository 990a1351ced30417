using System.Diagnostics;
using Parley.GrainInterfaces.Conversations;
using Parley.Grains.Conversations.Lifecycle;
using Parley.Grains.Tests.Infrastructure;
using Parley.Testing;

namespace Parley.Grains.Tests.Lifecycle;

/// <summary>The hosted loop on a silo: it sweeps on its interval by the injected clock and stops with the silo.</summary>
public sealed class ConversationSweeperLoopTests
{
    [Fact]
    public async Task The_started_silo_sweeps_every_interval_and_stops_cleanly()
    {
        var time = new ManualTimeProvider();
        var cluster = await GrainCluster.StartAsync(time, configure: services => services.AddConversationLifecycle(o => o.SweepInterval = TimeSpan.FromHours(1)));
        // The sweeper's loop waits on the manual clock.
        await time.WaitForActiveTimersAsync(1);

        var grain = cluster.Grains.GetGrain<IConversationGrain>("conv_1");
        Assert.NotNull(await grain.CreateAsync("user_1", new Dictionary<string, string>(),
            [new NewConversationItem("user", [new ConversationContentPart(ConversationContentPart.InputText, "Hi")])], ConversationSettings.None));
        var archive = cluster.Get<IConversationArchive>();
        var index = cluster.Get<IConversationActivityIndex>();

        time.Advance(ConversationLifecycleOptions.DefaultHotRetention + TimeSpan.FromHours(1));

        // The sweep runs on the loop's own task after the tick: wait, in real time and bounded, for the grain's last
        // step (the index entry goes after the archive copy is written and the hot state cleared). Stopping the silo
        // while the grain still clears its state would wait out Orleans' 30 s response timeout for the in-memory
        // storage grain, which is not what this test is about.
        var deadline = Stopwatch.StartNew();
        while (await archive.GetAsync("conv_1") is null || (await index.GetRecentAsync(1)).Count > 0)
        {
            Assert.True(deadline.Elapsed < TimeSpan.FromSeconds(10), "The hosted sweeper did not archive the idle conversation.");
            await Task.Delay(20);
        }

        var stop = Stopwatch.StartNew();
        await cluster.DisposeAsync();
        Assert.True(stop.Elapsed < TimeSpan.FromSeconds(10), $"Stopping took {stop.Elapsed}.");
    }
}
