using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Parley.GrainInterfaces.Conversations;
using Parley.Grains.Conversations;
using Parley.Grains.Conversations.Summaries;
using Parley.Runtime;
using Parley.Runtime.Hosting;
using Parley.Testing;

namespace Parley.Grains.Tests.Lifecycle;

/// <summary>A conversation in use stays activated; after the idle timeout (30 minutes by default) it is deactivated,
/// its state safe in storage. The runtime's collector runs on the host's manual clock.</summary>
public sealed class ConversationIdleTests
{
    private static readonly TimeSpan IdleTimeout = TimeSpan.FromMinutes(30);
    private static readonly TimeSpan Quantum = TimeSpan.FromMinutes(1);

    [Fact]
    public async Task A_used_conversation_stays_activated_and_an_idle_one_is_deactivated_after_the_timeout()
    {
        var builder = new HostApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        var time = new ManualTimeProvider();
        builder.Services.AddSingleton<TimeProvider>(time);
        builder.Services.AddGrainRuntime(o => o.CollectionQuantum = Quantum);
        builder.Services.AddMemoryGrainStorage();
        builder.Services.AddConversationGrain(IdleTimeout);
        builder.Services.AddSingleton<IConversationSummarizer, UnusedSummarizer>();
        using var host = builder.Build();
        await host.StartAsync();
        var statistics = host.Services.GetRequiredService<IGrainRuntimeStatistics>();
        var grain = host.Services.GetRequiredService<IGrainFactory>().GetGrain<IConversationGrain>("conv_" + new string('a', 32));
        Assert.NotNull(await grain.CreateAsync("user_1", new Dictionary<string, string>(), [], ConversationSettings.None));

        for (var i = 0; i < 3; i++)
        {
            time.Advance(IdleTimeout - Quantum);
            Assert.NotNull(await grain.GetAsync("user_1"));
        }
        Assert.Equal(0, statistics.Deactivations);
        Assert.Equal(1, Active(statistics));

        time.Advance(IdleTimeout + Quantum);
        await WaitUntilAsync(() => Active(statistics) == 0);
        Assert.Equal(1, statistics.Deactivations);
        Assert.NotNull(await grain.GetAsync("user_1"));
        Assert.Equal(2, statistics.ActivationsCreated);
        await host.StopAsync();
    }

    private static int Active(IGrainRuntimeStatistics statistics)
        => statistics.GetActivationCounts().TryGetValue("conversation", out var count) ? count : 0;

    /// <summary>The collector's tick fires on the manual clock; its deactivation finishes asynchronously.</summary>
    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "timed out waiting for the collector");
            await Task.Yield();
            await Task.Delay(1);
        }
    }
}
