using Parley.GrainInterfaces.UpstreamKeys;
using Parley.Grains.UpstreamKeys;
using Parley.Testing;

namespace Parley.Grains.Tests.UpstreamKeys;

/// <summary>What every <see cref="IUpstreamKeyStore"/> must do; run against memory and a real Redis. Two stores over
/// the same backing state stand for two silos.</summary>
public abstract partial class UpstreamKeyStoreContractTests : IAsyncLifetime
{
    protected const string Key = "sim/a";
    private static readonly TimeSpan Spacing = TimeSpan.FromMilliseconds(105);
    private static readonly TimeSpan Long = TimeSpan.FromMinutes(10);

    protected ManualTimeProvider Time { get; } = new();

    protected IUpstreamKeyStore Store { get; private set; } = null!;

    /// <summary>A second store sharing the first one's state (another silo).</summary>
    protected IUpstreamKeyStore OtherSilo { get; private set; } = null!;

    protected abstract Task<(IUpstreamKeyStore First, IUpstreamKeyStore Second)> CreateStoresAsync();

    public async Task InitializeAsync() => (Store, OtherSilo) = await CreateStoresAsync();

    public virtual Task DisposeAsync() => Task.CompletedTask;

    private PacingRequest Request(TimeSpan? acceptWithin = null, TimeSpan? tokenSpacing = null, int maxConcurrent = 0, string lease = "")
        => new(Time.UtcNow, Time.UtcNow + (acceptWithin ?? Long), Spacing, tokenSpacing ?? TimeSpan.Zero, maxConcurrent, lease, Long, TimeSpan.FromSeconds(30));

    [Fact]
    public async Task Starts_are_spaced_exactly_across_silos()
    {
        var t0 = Time.UtcNow;
        var starts = new List<DateTimeOffset>();
        for (var i = 0; i < 6; i++)
        {
            var store = i % 2 == 0 ? Store : OtherSilo;
            var result = await store.TryAcquireAsync(Key, Request());
            Assert.Equal(PacingStatus.Granted, result.Status);
            starts.Add(result.At);
        }
        Assert.Equal(Enumerable.Range(0, 6).Select(i => t0 + (Spacing * i)), starts);

        // Time passing without calls does not bank a burst: the next start is now, the one after it one spacing later.
        Time.Advance(TimeSpan.FromSeconds(10));
        Assert.Equal(Time.UtcNow, (await OtherSilo.TryAcquireAsync(Key, Request())).At);
        Assert.Equal(Time.UtcNow + Spacing, (await Store.TryAcquireAsync(Key, Request())).At);
    }

    [Fact]
    public async Task A_start_beyond_what_the_caller_accepts_is_reported_and_not_reserved()
    {
        await Store.TryAcquireAsync(Key, Request());
        var later = await OtherSilo.TryAcquireAsync(Key, Request(acceptWithin: TimeSpan.FromMilliseconds(50)));
        Assert.Equal(new PacingResult(PacingStatus.Later, Time.UtcNow + Spacing), later);

        // Nothing was reserved: the next caller still gets the first free start.
        Assert.Equal(Time.UtcNow + Spacing, (await Store.TryAcquireAsync(Key, Request())).At);
    }

    [Fact]
    public async Task Token_spacing_holds_the_key_for_the_call_s_tokens()
    {
        var first = await Store.TryAcquireAsync(Key, Request(tokenSpacing: TimeSpan.FromSeconds(2)));
        var second = await OtherSilo.TryAcquireAsync(Key, Request(tokenSpacing: TimeSpan.FromMilliseconds(10)));
        Assert.Equal(Time.UtcNow, first.At);
        Assert.Equal(Time.UtcNow + TimeSpan.FromSeconds(2), second.At);
    }

    [Fact]
    public async Task Concurrency_slots_are_shared_and_released()
    {
        Assert.True((await Store.TryAcquireAsync(Key, Request(maxConcurrent: 2, lease: "l1"))).IsGranted);
        Assert.True((await OtherSilo.TryAcquireAsync(Key, Request(maxConcurrent: 2, lease: "l2"))).IsGranted);
        Assert.Equal(PacingStatus.Busy, (await Store.TryAcquireAsync(Key, Request(maxConcurrent: 2, lease: "l3"))).Status);

        await OtherSilo.ReleaseAsync(Key, "l1");
        await WaitForAsync(async () => (await Store.TryAcquireAsync(Key, Request(maxConcurrent: 2, lease: "l3"))).IsGranted);
    }

    [Fact]
    public async Task A_block_is_honoured_by_every_silo_and_only_ever_extended()
    {
        var until = Time.UtcNow + TimeSpan.FromSeconds(2);
        await Store.BlockAsync(Key, until, "429");
        await Store.BlockAsync(Key, Time.UtcNow + TimeSpan.FromSeconds(1), "shorter");

        Assert.Equal(new PacingResult(PacingStatus.Blocked, until), await OtherSilo.TryAcquireAsync(Key, Request()));
        var health = await OtherSilo.GetHealthAsync(Key, Time.UtcNow);
        Assert.Equal(new UpstreamKeyHealth(UpstreamKeyState.Blocked, until, "429"), health);

        Time.Advance(TimeSpan.FromMilliseconds(1999));
        Assert.Equal(PacingStatus.Blocked, (await Store.TryAcquireAsync(Key, Request())).Status);
        Time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Equal(new PacingResult(PacingStatus.Granted, until), await OtherSilo.TryAcquireAsync(Key, Request()));
        Assert.Equal(UpstreamKeyHealth.Active, await Store.GetHealthAsync(Key, Time.UtcNow));
    }

    [Fact]
    public async Task Errors_within_the_window_cool_the_key_then_one_trial_call_decides()
    {
        var window = TimeSpan.FromSeconds(10);
        var coolUntil = Time.UtcNow + TimeSpan.FromSeconds(40);
        Assert.False(await Store.RecordErrorAsync(Key, Time.UtcNow, window, 3, coolUntil, "errors"));
        Time.Advance(TimeSpan.FromSeconds(11));
        // The first error has left the window: two more do not reach three.
        Assert.False(await OtherSilo.RecordErrorAsync(Key, Time.UtcNow, window, 3, coolUntil, "errors"));
        Assert.False(await Store.RecordErrorAsync(Key, Time.UtcNow, window, 3, coolUntil, "errors"));
        Assert.Equal(PacingStatus.Granted, (await Store.TryAcquireAsync(Key, Request())).Status);
        Assert.True(await OtherSilo.RecordErrorAsync(Key, Time.UtcNow, window, 3, coolUntil, "errors"));
        // Already cooling: a late error does not cool it again.
        Assert.False(await Store.RecordErrorAsync(Key, Time.UtcNow, window, 1, coolUntil + Long, "late"));

        Assert.Equal(new PacingResult(PacingStatus.Cooling, coolUntil), await Store.TryAcquireAsync(Key, Request()));
        Assert.Equal(new UpstreamKeyHealth(UpstreamKeyState.Cooling, coolUntil, "errors"), await OtherSilo.GetHealthAsync(Key, Time.UtcNow));

        Time.SetUtcNow(coolUntil);
        Assert.Equal(PacingStatus.GrantedTrial, (await Store.TryAcquireAsync(Key, Request())).Status);
        // Only one trial call at a time, cluster-wide.
        Assert.Equal(PacingStatus.Cooling, (await OtherSilo.TryAcquireAsync(Key, Request())).Status);

        await OtherSilo.RestoreAsync(Key);
        Assert.Equal(PacingStatus.Granted, (await Store.TryAcquireAsync(Key, Request())).Status);
        Assert.Equal(UpstreamKeyHealth.Active, await Store.GetHealthAsync(Key, Time.UtcNow));
    }

    [Fact]
    public async Task A_failed_trial_cools_again_and_a_lost_trial_lapses()
    {
        await Store.CoolAsync(Key, Time.UtcNow, "trial failed");
        Assert.Equal(PacingStatus.GrantedTrial, (await Store.TryAcquireAsync(Key, Request())).Status);
        var until = Time.UtcNow + TimeSpan.FromSeconds(30);
        await OtherSilo.CoolAsync(Key, until, "trial failed");
        Assert.Equal(new PacingResult(PacingStatus.Cooling, until), await Store.TryAcquireAsync(Key, Request()));

        Time.SetUtcNow(until);
        Assert.Equal(PacingStatus.GrantedTrial, (await Store.TryAcquireAsync(Key, Request())).Status);
        // The trial's silo never reported: after the trial lease (30 s here) another trial may go.
        Time.Advance(TimeSpan.FromSeconds(30));
        Assert.Equal(PacingStatus.GrantedTrial, (await OtherSilo.TryAcquireAsync(Key, Request())).Status);
    }

    [Fact]
    public async Task A_disabled_key_stays_out_until_enabled()
    {
        await Store.DisableAsync(Key, "401");
        Assert.Equal(PacingStatus.Disabled, (await OtherSilo.TryAcquireAsync(Key, Request())).Status);
        Time.Advance(TimeSpan.FromDays(1));
        Assert.Equal(PacingStatus.Disabled, (await Store.TryAcquireAsync(Key, Request())).Status);
        Assert.Equal(new UpstreamKeyHealth(UpstreamKeyState.Disabled, null, "401"), await Store.GetHealthAsync(Key, Time.UtcNow));

        await OtherSilo.BlockAsync(Key, Time.UtcNow + Long, "429");
        await OtherSilo.EnableAsync(Key);
        Assert.Equal(PacingStatus.Granted, (await Store.TryAcquireAsync(Key, Request())).Status);
        Assert.Equal(UpstreamKeyHealth.Active, await OtherSilo.GetHealthAsync(Key, Time.UtcNow));
    }

    [Fact]
    public async Task A_delay_moves_the_schedule_later_only()
    {
        await Store.DelayAsync(Key, Time.UtcNow + TimeSpan.FromSeconds(3));
        await OtherSilo.DelayAsync(Key, Time.UtcNow + TimeSpan.FromSeconds(1));
        Assert.Equal(Time.UtcNow + TimeSpan.FromSeconds(3), (await Store.TryAcquireAsync(Key, Request())).At);
    }

    [Fact]
    public async Task Keys_are_independent()
    {
        await Store.DisableAsync(Key, "401");
        Assert.Equal(PacingStatus.Granted, (await OtherSilo.TryAcquireAsync("sim/b", Request())).Status);
    }

    private static async Task WaitForAsync(Func<Task<bool>> condition)
    {
        // Redis releases are fire-and-forget; the next command on the connection sees them, memory at once.
        for (var i = 0; i < 100; i++)
        {
            if (await condition())
            {
                return;
            }
            await Task.Delay(10);
        }
        Assert.Fail("The condition never held.");
    }
}
