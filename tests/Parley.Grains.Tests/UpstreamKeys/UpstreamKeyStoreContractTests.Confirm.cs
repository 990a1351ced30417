using Parley.GrainInterfaces.UpstreamKeys;

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
        Assert.True(await OtherSilo.ConfirmStartAsync(Key, second.At));

        // The upstream's headers say: nothing before the second start plus 50 ms.
        await OtherSilo.DelayAsync(Key, second.At + TimeSpan.FromMilliseconds(50));

        // Every start before the hold is void (the first one has long been used); those after it stand.
        Assert.False(await Store.ConfirmStartAsync(Key, first.At));
        Assert.False(await Store.ConfirmStartAsync(Key, second.At));
        Assert.True(await Store.ConfirmStartAsync(Key, third.At));
        // The schedule had room beyond the hold already: the next start follows the third.
        Assert.Equal(third.At + Spacing, (await Store.TryAcquireAsync(Key, Request())).At);
    }

    [Fact]
    public async Task A_block_a_cool_down_or_a_disabled_key_withdraws_the_starts_they_cover()
    {
        var start = (await Store.TryAcquireAsync(Key, Request())).At + TimeSpan.FromSeconds(1);

        await OtherSilo.BlockAsync(Key, start + TimeSpan.FromMilliseconds(1), "429");
        Assert.False(await Store.ConfirmStartAsync(Key, start));
        Assert.True(await Store.ConfirmStartAsync(Key, start + TimeSpan.FromMilliseconds(1)));

        await OtherSilo.CoolAsync(Key, start + TimeSpan.FromSeconds(5), "errors");
        Assert.False(await Store.ConfirmStartAsync(Key, start + TimeSpan.FromSeconds(1)));
        await OtherSilo.RestoreAsync(Key);
        Assert.True(await Store.ConfirmStartAsync(Key, start + TimeSpan.FromSeconds(1)));

        await OtherSilo.DisableAsync(Key, "401");
        Assert.False(await Store.ConfirmStartAsync(Key, start + TimeSpan.FromHours(1)));
    }
}
