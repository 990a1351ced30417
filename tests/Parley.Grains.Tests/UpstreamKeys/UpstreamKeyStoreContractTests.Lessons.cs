using System.Collections.Concurrent;
using Parley.Grains.UpstreamKeys;
using Parley.Testing;

namespace Parley.Grains.Tests.UpstreamKeys;

/// <summary>Lessons (what makes a key wait) are announced to every silo watching, in order; nothing else is.</summary>
public abstract partial class UpstreamKeyStoreContractTests
{
    [Fact]
    public async Task What_makes_a_key_wait_is_announced_to_every_silo_in_order_and_nothing_else_is()
    {
        var notices = new ConcurrentQueue<string>();
        var watch = await OtherSilo.WatchLessonsAsync(notices.Enqueue);
        var now = Time.UtcNow;

        // Not lessons: an acquisition, an error under the threshold, a restore, an enable, an upstream window.
        await Store.TryAcquireAsync(Key, Request());
        Assert.False(await Store.RecordErrorAsync(Key, now, TimeSpan.FromMinutes(1), 2, now + TimeSpan.FromSeconds(30), "500"));
        await Store.RestoreAsync(Key);
        await Store.EnableAsync(Key);
        await Store.LimitStartsAsync(Key, new StartAllowance(now, now + TimeSpan.FromSeconds(2), 0));
        // Lessons, each on its own key; the second delay and block move nothing and are not.
        await Store.DelayAsync("sim/delayed", now + TimeSpan.FromSeconds(1));
        await Store.DelayAsync("sim/delayed", now + TimeSpan.FromSeconds(1));
        await Store.BlockAsync("sim/blocked", now + TimeSpan.FromSeconds(5), "429");
        await Store.BlockAsync("sim/blocked", now + TimeSpan.FromSeconds(1), "429");
        Assert.True(await Store.RecordErrorAsync("sim/erring", now, TimeSpan.FromMinutes(1), 1, now + TimeSpan.FromSeconds(30), "500"));
        await Store.CoolAsync("sim/trial", now + TimeSpan.FromSeconds(30), "the trial call failed");
        await Store.DisableAsync("sim/revoked", "401");

        // Announced in order, so an extra notice would be in the list by the time the last one is.
        await Poll.UntilAsync(() => notices.Contains("sim/revoked"), "the last lesson is announced", TimeSpan.FromSeconds(10));
        Assert.Equal(["sim/delayed", "sim/blocked", "sim/erring", "sim/trial", "sim/revoked"], notices);

        // A watch disposed hears nothing more; another still watching does.
        var after = new ConcurrentQueue<string>();
        await using var still = await OtherSilo.WatchLessonsAsync(after.Enqueue);
        await watch.DisposeAsync();
        await Store.DisableAsync("sim/later", "401");
        await Poll.UntilAsync(() => after.Contains("sim/later"), "the lesson reaches the watch left", TimeSpan.FromSeconds(10));
        Assert.Equal(5, notices.Count);
    }
}
