using System.Text;
using Parley.Grains.Conversations.Lifecycle;

namespace Parley.Grains.Tests.Lifecycle;

/// <summary>The behaviour every conversation archive must have; the memory and Redis test classes each run all of it.</summary>
public abstract class ArchiveContractTests : IAsyncLifetime
{
    private IConversationArchive? _archive;

    protected IConversationArchive Archive => _archive!;

    /// <summary>A fresh, empty archive that no other test can see, with the default retention.</summary>
    protected abstract Task<IConversationArchive> CreateArchiveAsync();

    protected virtual Task DisposeArchiveAsync() => Task.CompletedTask;

    public async Task InitializeAsync() => _archive = await CreateArchiveAsync();

    public Task DisposeAsync() => DisposeArchiveAsync();

    /// <summary>A conversation-like JSON document: compresses well, as real states do.</summary>
    protected static byte[] CompressibleState(int turns)
    {
        var json = new StringBuilder("{\"OwnerUserId\":\"user_1\",\"Items\":[");
        for (var i = 0; i < turns; i++)
        {
            json.Append(i == 0 ? "" : ",")
                .Append("{\"Id\":\"msg_").Append(i)
                .Append("\",\"Role\":\"user\",\"Text\":\"Tell me more about turn ").Append(i).Append("\"}");
        }
        return Encoding.UTF8.GetBytes(json.Append("]}").ToString());
    }

    protected static byte[] RandomBytes(int length)
    {
        var bytes = new byte[length];
        new Random(length).NextBytes(bytes);
        return bytes;
    }

    [Fact]
    public async Task Put_then_get_returns_exactly_the_bytes_put()
    {
        var json = CompressibleState(200);
        var random = RandomBytes(64 * 1024);
        await Archive.PutAsync("json", json);
        await Archive.PutAsync("random", random);
        await Archive.PutAsync("empty", ReadOnlyMemory<byte>.Empty);

        Assert.Equal(json, await Archive.GetAsync("json"));
        Assert.Equal(random, await Archive.GetAsync("random"));
        Assert.Equal(Array.Empty<byte>(), await Archive.GetAsync("empty"));
    }

    [Fact]
    public async Task A_conversation_never_archived_has_no_copy()
    {
        Assert.Null(await Archive.GetAsync("nope"));
        Assert.False(await Archive.DeleteAsync("nope"));
    }

    [Fact]
    public async Task Put_replaces_an_earlier_copy()
    {
        await Archive.PutAsync("c", CompressibleState(3));
        var second = CompressibleState(5);
        await Archive.PutAsync("c", second);

        Assert.Equal(second, await Archive.GetAsync("c"));
    }

    [Fact]
    public async Task Delete_removes_only_that_copy_and_reports_whether_there_was_one()
    {
        await Archive.PutAsync("a", CompressibleState(1));
        await Archive.PutAsync("b", CompressibleState(2));

        Assert.True(await Archive.DeleteAsync("a"));
        Assert.Null(await Archive.GetAsync("a"));
        Assert.False(await Archive.DeleteAsync("a"));
        Assert.Equal(CompressibleState(2), await Archive.GetAsync("b"));
    }

    [Fact]
    public async Task Purging_keeps_every_copy_within_its_retention()
    {
        await Archive.PutAsync("a", CompressibleState(1));
        await Archive.PutAsync("b", CompressibleState(2));

        Assert.Equal(0, await Archive.PurgeExpiredAsync());
        Assert.Equal(CompressibleState(1), await Archive.GetAsync("a"));
        Assert.Equal(CompressibleState(2), await Archive.GetAsync("b"));
    }
}
