using Microsoft.Extensions.Options;
using Parley.Grains.Conversations.Lifecycle;
using Parley.Testing;

namespace Parley.Grains.Tests.Lifecycle;

public sealed class MemoryArchiveTests : ArchiveContractTests
{
    private static readonly TimeSpan Retention = ConversationLifecycleOptions.DefaultArchiveRetention;
    private readonly ManualTimeProvider _time = new();

    protected override Task<IConversationArchive> CreateArchiveAsync()
        => Task.FromResult<IConversationArchive>(new MemoryConversationArchive(Options.Create(new ConversationLifecycleOptions()), _time));

    [Fact]
    public async Task A_copy_expires_after_the_retention_and_is_invisible_before_it_is_purged()
    {
        await Archive.PutAsync("old", CompressibleState(1));
        _time.Advance(TimeSpan.FromDays(10));
        await Archive.PutAsync("newer", CompressibleState(2));

        _time.Advance(Retention - TimeSpan.FromDays(10) - TimeSpan.FromMilliseconds(1));
        Assert.NotNull(await Archive.GetAsync("old"));

        _time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Null(await Archive.GetAsync("old"));
        Assert.Equal(CompressibleState(2), await Archive.GetAsync("newer"));
        Assert.False(await Archive.DeleteAsync("old"));
    }

    [Fact]
    public async Task Purge_counts_and_removes_only_expired_copies()
    {
        await Archive.PutAsync("a", CompressibleState(1));
        await Archive.PutAsync("b", CompressibleState(2));
        _time.Advance(TimeSpan.FromDays(1));
        await Archive.PutAsync("c", CompressibleState(3));

        _time.Advance(Retention - TimeSpan.FromDays(1));
        Assert.Equal(2, await Archive.PurgeExpiredAsync());
        Assert.Equal(0, await Archive.PurgeExpiredAsync());
        Assert.Equal(CompressibleState(3), await Archive.GetAsync("c"));

        _time.Advance(TimeSpan.FromDays(1));
        Assert.Equal(1, await Archive.PurgeExpiredAsync());
    }

    [Fact]
    public async Task Putting_again_restarts_the_retention()
    {
        await Archive.PutAsync("c", CompressibleState(1));
        _time.Advance(Retention - TimeSpan.FromDays(1));
        await Archive.PutAsync("c", CompressibleState(2));

        _time.Advance(TimeSpan.FromDays(2));
        Assert.Equal(CompressibleState(2), await Archive.GetAsync("c"));
    }

    [Fact]
    public async Task The_configured_retention_is_used()
    {
        var archive = new MemoryConversationArchive(Options.Create(new ConversationLifecycleOptions { ArchiveRetention = TimeSpan.FromHours(1) }), _time);
        await archive.PutAsync("c", CompressibleState(1));

        _time.Advance(TimeSpan.FromHours(1));
        Assert.Null(await archive.GetAsync("c"));
    }
}
