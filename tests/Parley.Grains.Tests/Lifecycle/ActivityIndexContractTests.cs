using Parley.Grains.Conversations.Lifecycle;
using Parley.Testing;

namespace Parley.Grains.Tests.Lifecycle;

/// <summary>The behaviour every activity index must have; the memory and Redis test classes each run all of it.</summary>
public abstract class ActivityIndexContractTests : IAsyncLifetime
{
    protected static readonly DateTimeOffset T0 = ManualTimeProvider.DefaultStart;
    private IConversationActivityIndex? _index;

    protected IConversationActivityIndex Index => _index!;

    /// <summary>A fresh, empty index that no other test can see.</summary>
    protected abstract Task<IConversationActivityIndex> CreateIndexAsync();

    protected virtual Task DisposeIndexAsync() => Task.CompletedTask;

    /// <summary>A lease length the implementation can let run out within the test.</summary>
    protected abstract TimeSpan ShortLease { get; }

    /// <summary>Returns once a lease of <paramref name="lease"/> taken just before has run out.</summary>
    protected abstract Task LetLeaseExpireAsync(TimeSpan lease);

    public async Task InitializeAsync() => _index = await CreateIndexAsync();

    public Task DisposeAsync() => DisposeIndexAsync();

    private Task<IReadOnlyList<string>> IdleAsync(DateTimeOffset idleSince, int limit = 100) => Index.GetIdleAsync(idleSince, limit);

    [Fact]
    public async Task Idle_conversations_come_least_recently_used_first_up_to_the_limit()
    {
        Index.Touch("c", T0.AddMinutes(3));
        Index.Touch("a", T0.AddMinutes(1));
        Index.Touch("d", T0.AddMinutes(10));
        Index.Touch("b", T0.AddMinutes(2));

        Assert.Equal(["a", "b", "c"], await IdleAsync(T0.AddMinutes(5)));
        Assert.Equal(["a", "b"], await IdleAsync(T0.AddMinutes(5), limit: 2));
        Assert.Equal(["a", "b", "c", "d"], await IdleAsync(T0.AddDays(1)));
        Assert.Empty(await IdleAsync(T0));
    }

    [Fact]
    public async Task Recent_conversations_come_most_recently_used_first_with_their_last_use_up_to_the_limit()
    {
        Index.Touch("c", T0.AddMinutes(3));
        Index.Touch("a", T0.AddMinutes(1));
        Index.Touch("d", T0.AddMinutes(10).AddTicks(9_000));
        Index.Touch("b", T0.AddMinutes(2));
        // A late touch never moves one back.
        Index.Touch("c", T0);

        await WaitForRecentAsync(4);
        Assert.Equal(
            [new ConversationActivity("d", T0.AddMinutes(10)), new ConversationActivity("c", T0.AddMinutes(3)), new ConversationActivity("b", T0.AddMinutes(2))],
            await Index.GetRecentAsync(3));
        Assert.Equal(["d", "c", "b", "a"], (await Index.GetRecentAsync(100)).Select(r => r.ConversationId));

        await Index.RemoveAsync("d");
        Assert.Equal(["c", "b", "a"], (await Index.GetRecentAsync(100)).Select(r => r.ConversationId));
    }

    // Touches are fire-and-forget on Redis: wait (bounded) until they have all landed.
    private async Task WaitForRecentAsync(int count)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while ((await Index.GetRecentAsync(100)).Count < count && DateTime.UtcNow < deadline)
        {
            await Task.Delay(10);
        }
    }

    [Fact]
    public async Task The_cut_off_is_inclusive_and_counts_whole_milliseconds()
    {
        Index.Touch("exact", T0.AddMinutes(1));
        Index.Touch("sub-millisecond", T0.AddMinutes(2).AddTicks(9_000));

        Assert.Equal(["exact"], await IdleAsync(T0.AddMinutes(1)));
        Assert.Empty(await IdleAsync(T0.AddMinutes(1).AddMilliseconds(-1)));
        // 0.9 ms after the minute is the same millisecond as the minute.
        Assert.Equal(["exact", "sub-millisecond"], await IdleAsync(T0.AddMinutes(2)));
    }

    [Fact]
    public async Task Conversations_used_at_the_same_time_are_ordered_by_id()
    {
        Index.Touch("b", T0);
        Index.Touch("c", T0);
        Index.Touch("a", T0);

        Assert.Equal(["a", "b", "c"], await IdleAsync(T0));
    }

    [Fact]
    public async Task A_later_touch_moves_the_conversation_later()
    {
        Index.Touch("a", T0);
        Index.Touch("b", T0.AddMinutes(1));
        Index.Touch("a", T0.AddMinutes(2));

        Assert.Equal(["b"], await IdleAsync(T0.AddMinutes(1)));
        Assert.Equal(["b", "a"], await IdleAsync(T0.AddMinutes(2)));
    }

    [Fact]
    public async Task An_earlier_touch_never_moves_the_conversation_back()
    {
        Index.Touch("a", T0.AddMinutes(2));
        Index.Touch("a", T0);

        Assert.Empty(await IdleAsync(T0.AddMinutes(1)));
        Assert.Equal(["a"], await IdleAsync(T0.AddMinutes(2)));
    }

    [Fact]
    public async Task A_removed_conversation_is_forgotten_until_touched_again()
    {
        Index.Touch("a", T0.AddMinutes(5));
        Index.Touch("b", T0.AddMinutes(6));

        await Index.RemoveAsync("a");
        await Index.RemoveAsync("never-touched");
        Assert.Equal(["b"], await IdleAsync(T0.AddDays(1)));

        // Removed means gone entirely: a new touch, even with an earlier time, starts afresh.
        Index.Touch("a", T0);
        Assert.Equal(["a"], await IdleAsync(T0));
    }

    [Fact]
    public async Task The_sweep_lease_is_held_by_one_owner_until_it_expires()
    {
        var lease = ShortLease;
        Assert.True(await Index.TryLeaseSweepAsync("silo-a", lease));
        Assert.False(await Index.TryLeaseSweepAsync("silo-b", lease));
        Assert.True(await Index.TryLeaseSweepAsync("silo-a", lease));

        await LetLeaseExpireAsync(lease);

        Assert.True(await Index.TryLeaseSweepAsync("silo-b", lease));
        Assert.False(await Index.TryLeaseSweepAsync("silo-a", lease));
    }
}
