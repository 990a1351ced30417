using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Parley.GrainInterfaces.Conversations;
using Parley.Grains.Conversations;
using Parley.Grains.Conversations.Context;
using Parley.Grains.Conversations.Lifecycle;
using Parley.Grains.Conversations.Summaries;
using Parley.Runtime;
using Parley.Runtime.Hosting;
using Parley.Testing;

namespace Parley.Grains.Tests.Lifecycle;

/// <summary>The hosted loop: it sweeps on its interval by the injected clock and stops with the host.</summary>
public sealed class ConversationSweeperLoopTests
{
    [Fact]
    public async Task The_started_host_sweeps_every_interval_and_stops_cleanly()
    {
        var time = new ManualTimeProvider();
        var builder = new HostApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Services.AddSingleton<TimeProvider>(time)
            .AddGrainRuntime(o => o.CollectionQuantum = TimeSpan.FromHours(1))
            .AddGrain<IConversationGrain, ConversationGrain>()
            .AddGrainStateJson(ConversationStateJsonContext.Default)
            .AddConversationContext(_ => { })
            .AddSingleton<IConversationSummarizer, UnusedSummarizer>()
            .AddMemoryGrainStorage()
            .AddConversationLifecycle(o => o.SweepInterval = TimeSpan.FromHours(1));
        using var host = builder.Build();
        await host.StartAsync();
        // The collector's timer and the sweeper's: both loops are waiting on the manual clock.
        await time.WaitForActiveTimersAsync(2);

        var grain = host.Services.GetRequiredService<IGrainFactory>().GetGrain<IConversationGrain>("conv_1");
        Assert.NotNull(await grain.CreateAsync("user_1", new Dictionary<string, string>(),
            [new NewConversationItem("user", [new ConversationContentPart(ConversationContentPart.InputText, "Hi")])], ConversationSettings.None));
        var archive = host.Services.GetRequiredService<IConversationArchive>();

        time.Advance(ConversationLifecycleOptions.DefaultHotRetention + TimeSpan.FromHours(1));

        // The sweep runs on the loop's own task after the tick: wait for its effect, in real time, bounded.
        var deadline = Stopwatch.StartNew();
        while (await archive.GetAsync("conv_1") is null)
        {
            Assert.True(deadline.Elapsed < TimeSpan.FromSeconds(10), "The hosted sweeper did not archive the idle conversation.");
            await Task.Delay(20);
        }

        var stop = Stopwatch.StartNew();
        await host.StopAsync();
        Assert.True(stop.Elapsed < TimeSpan.FromSeconds(5), $"Stopping took {stop.Elapsed}.");
    }
}
