using Parley.GrainInterfaces.UpstreamKeys;
using Parley.Grains.UpstreamKeys;

namespace Parley.Grains.Tests.UpstreamKeys;

/// <summary>Starts are granted up to the longest pacing wait ahead; what the upstream says meanwhile reaches the calls
/// waiting on them through <see cref="Parley.Grains.UpstreamKeys.IUpstreamKeyStore.ConfirmStartAsync"/>.</summary>
public abstract partial class UpstreamKeyStoreContractTests
{
    [Fact]
    public async Task A_granted_start_stands_until_the_key_is_pushed_back_past_it()
    {
        var first = await Store.TryAcquireAsync(Key, Request());
        var second = await Store.TryAcquireAsync(Key, Request());
        var third = await OtherSilo.TryAcquireAsync(Key, Request());
        Assert.True(await OtherSilo.ConfirmStartAsync(Key, second.At, Spacing));

        // The upstream's headers say: nothing before the second start plus 50 ms.
        await OtherSilo.DelayAsync(Key, second.At + TimeSpan.FromMilliseconds(50));

        // Every start before the hold is void (the first one has long been used); those after it stand.
        Assert.False(await Store.ConfirmStartAsync(Key, first.At, Spacing));
        Assert.False(await Store.ConfirmStartAsync(Key, second.At, Spacing));
        Assert.True(await Store.ConfirmStartAsync(Key, third.At, Spacing));
        // The schedule had room beyond the hold already: the next start follows the third.
        Assert.Equal(third.At + Spacing, (await Store.TryAcquireAsync(Key, Request())).At);
    }

    [Fact]
    public async Task A_block_a_cool_down_or_a_disabled_key_withdraws_the_starts_they_cover()
    {
        var start = (await Store.TryAcquireAsync(Key, Request())).At + TimeSpan.FromSeconds(1);

        await OtherSilo.BlockAsync(Key, start + TimeSpan.FromMilliseconds(1), "429");
        Assert.False(await Store.ConfirmStartAsync(Key, start, Spacing));
        Assert.True(await Store.ConfirmStartAsync(Key, start + TimeSpan.FromMilliseconds(1), Spacing));

        await OtherSilo.CoolAsync(Key, start + TimeSpan.FromSeconds(5), "errors");
        Assert.False(await Store.ConfirmStartAsync(Key, start + TimeSpan.FromSeconds(1), Spacing));
        await OtherSilo.RestoreAsync(Key);
        Assert.True(await Store.ConfirmStartAsync(Key, start + TimeSpan.FromSeconds(1), Spacing));

        await OtherSilo.DisableAsync(Key, "401");
        Assert.False(await Store.ConfirmStartAsync(Key, start + TimeSpan.FromHours(1), Spacing));
    }

    [Fact]
    public async Task A_window_the_upstream_opened_late_withdraws_the_one_start_too_many_a_window_ahead()
    {
        var t0 = Time.UtcNow;
        var starts = new List<DateTimeOffset>();
        for (var i = 0; i < 22; i++)
        {
            starts.Add((await (i % 2 == 0 ? Store : OtherSilo).TryAcquireAsync(Key, Request())).At);
        }
        Assert.Equal(t0 + (21 * Spacing), starts[^1]);

        // The second call's answer, read at t0 + 120 ms: 18 more calls allowed until a reset 1,930 ms later (the window
        // opened 150 ms after the schedule's first start): starts 2..19 fit, the 20th (t0 + 2,100 ms) would be one too many.
        var second = starts[1];
        await OtherSilo.LimitStartsAsync(Key, new StartAllowance(second, t0 + TimeSpan.FromMilliseconds(2150), 18));

        var standing = new List<bool>();
        foreach (var start in starts)
        {
            standing.Add(await Store.ConfirmStartAsync(Key, start, Spacing));
        }
        Assert.Equal(Enumerable.Range(0, 22).Select(i => i != 20), standing);

        // An older answer (an earlier call's) does not replace it.
        await Store.LimitStartsAsync(Key, new StartAllowance(starts[0], t0 + TimeSpan.FromSeconds(10), 0));
        Assert.True(await OtherSilo.ConfirmStartAsync(Key, starts[5], Spacing));
        Assert.False(await OtherSilo.ConfirmStartAsync(Key, starts[20], Spacing));
    }
}
