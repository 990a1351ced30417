using Parley.Grains.Conversations.Lifecycle;
using Parley.Testing;

namespace Parley.Grains.Tests.Lifecycle;

/// <summary>The sweep against the real conversation grain: idle conversations move to the archive, used ones stay,
/// an archived one comes back on its next use, and an expired archive copy is gone for good.</summary>
public abstract class ConversationSweeperTests : IAsyncLifetime
{
    private static readonly TimeSpan Hot = ConversationLifecycleOptions.DefaultHotRetention;
    private SweeperHost? _host;

    protected SweeperHost Host => _host!;

    protected abstract Task<SweeperHost> CreateHostAsync();

    public async Task InitializeAsync() => _host = await CreateHostAsync();

    public async Task DisposeAsync() => await _host!.DisposeAsync();

    [Fact]
    public async Task Only_conversations_idle_beyond_the_hot_retention_are_archived()
    {
        await Host.CreateConversationAsync("conv_idle");
        Host.Time.Advance(TimeSpan.FromDays(1));
        await Host.CreateConversationAsync("conv_recent");

        Host.Time.Advance(Hot - TimeSpan.FromDays(1) - TimeSpan.FromMilliseconds(1));
        Assert.Equal(new ConversationSweepResult(true, 0, 0), await Host.Sweeper.SweepOnceAsync(default));

        Host.Time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Equal(new ConversationSweepResult(true, 1, 0), await Host.Sweeper.SweepOnceAsync(default));

        Assert.False(await Host.IsHotAsync("conv_idle"));
        Assert.NotNull(await Host.Archive.GetAsync("conv_idle"));
        Assert.True(await Host.IsHotAsync("conv_recent"));
        Assert.Null(await Host.Archive.GetAsync("conv_recent"));
        Assert.Empty(await Host.Index.GetIdleAsync(Host.Time.UtcNow - Hot, 10));
        Assert.Equal(new ConversationSweepResult(true, 0, 0), await Host.Sweeper.SweepOnceAsync(default));
    }

    [Fact]
    public async Task An_archived_conversation_is_restored_on_its_next_use()
    {
        await Host.CreateConversationAsync("conv_1");
        Host.Time.Advance(Hot + TimeSpan.FromHours(1));
        Assert.Equal(1, (await Host.Sweeper.SweepOnceAsync(default)).Archived);

        var info = await Host.Grain("conv_1").GetAsync(SweeperHost.UserId);

        Assert.NotNull(info);
        Assert.Equal("conv_1", info.Id);
        Assert.True(await Host.IsHotAsync("conv_1"));
        Assert.Null(await Host.Archive.GetAsync("conv_1"));
        // Used again just now, so it is hot for another full retention.
        Host.Time.Advance(Hot - TimeSpan.FromMinutes(1));
        Assert.Equal(0, (await Host.Sweeper.SweepOnceAsync(default)).Archived);
    }

    [Fact]
    public async Task Another_silos_lease_means_this_silo_does_nothing()
    {
        await Host.CreateConversationAsync("conv_1");
        Host.Time.Advance(Hot + TimeSpan.FromHours(1));
        Assert.True(await Host.Index.TryLeaseSweepAsync("another-silo", TimeSpan.FromHours(1)));

        Assert.Equal(new ConversationSweepResult(false, 0, 0), await Host.Sweeper.SweepOnceAsync(default));
        Assert.True(await Host.IsHotAsync("conv_1"));
    }
}

public sealed class MemoryConversationSweeperTests : ConversationSweeperTests
{
    protected override Task<SweeperHost> CreateHostAsync() => SweeperHost.CreateAsync();

    [Fact]
    public async Task An_archived_conversation_is_deleted_for_good_after_the_archive_retention()
    {
        await Host.CreateConversationAsync("conv_1");
        Host.Time.Advance(ConversationLifecycleOptions.DefaultHotRetention + TimeSpan.FromHours(1));
        Assert.Equal(1, (await Host.Sweeper.SweepOnceAsync(default)).Archived);

        Host.Time.Advance(ConversationLifecycleOptions.DefaultArchiveRetention);
        Assert.Equal(new ConversationSweepResult(true, 0, 1), await Host.Sweeper.SweepOnceAsync(default));

        Assert.Null(await Host.Grain("conv_1").GetAsync(SweeperHost.UserId));
        Assert.False(await Host.IsHotAsync("conv_1"));
    }
}

public sealed class RedisConversationSweeperTests(RedisServerFixture redis) : ConversationSweeperTests, IClassFixture<RedisServerFixture>
{
    protected override Task<SweeperHost> CreateHostAsync() => SweeperHost.CreateAsync(redis);
}
