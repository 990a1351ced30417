using Parley.Grains.UpstreamKeys;

namespace Parley.Grains.Tests.UpstreamKeys;

/// <summary><see cref="IUpstreamKeyStore.AcquireAnyAsync"/>: one atomic choice over a provider's whole pool.</summary>
public abstract partial class UpstreamKeyStoreContractTests
{
    private const string Provider = "sim";

    private static PoolKeyPacing PoolKey(string id, TimeSpan? spacing = null, int weight = 1, int maxConcurrent = 0)
        => new(Provider + "/" + id, spacing ?? Spacing, TimeSpan.Zero, maxConcurrent, weight);

    private PoolPacingRequest PoolRequest(PoolKeyPacing[] keys, TimeSpan? acceptWithin = null, string? lease = null)
        => new(Time.UtcNow, Time.UtcNow + (acceptWithin ?? Long), keys, lease ?? Guid.NewGuid().ToString("N"), Long, TimeSpan.FromSeconds(30));

    [Fact]
    public async Task The_key_that_can_start_soonest_wins_and_ties_rotate()
    {
        var t0 = Time.UtcNow;
        PoolKeyPacing[] keys = [PoolKey("a", TimeSpan.FromMilliseconds(100)), PoolKey("b", TimeSpan.FromMilliseconds(300))];
        var choices = new List<(int, DateTimeOffset)>();
        for (var i = 0; i < 6; i++)
        {
            var result = await Store.AcquireAnyAsync(Provider, PoolRequest(keys));
            Assert.Equal(PacingStatus.Granted, result.Status);
            choices.Add((result.Index, result.At));
        }

        // Both free at t0: a (first of equal weights), then b; a alone at 100 and 200; at 300 both again, and the
        // round robin owes b; then a.
        (int, double)[] expected = [(0, 0), (1, 0), (0, 100), (0, 200), (1, 300), (0, 300)];
        Assert.Equal(expected.Select(e => (e.Item1, t0 + TimeSpan.FromMilliseconds(e.Item2))), choices);
    }

    [Fact]
    public async Task Weights_break_ties_in_their_exact_proportion()
    {
        // No spacing: every key can always start now, so every choice is a tie.
        PoolKeyPacing[] keys = [PoolKey("a", TimeSpan.Zero, weight: 3), PoolKey("b", TimeSpan.Zero, weight: 1), PoolKey("c", TimeSpan.Zero, weight: 2)];
        for (var round = 0; round < 10; round++)
        {
            var counts = new int[3];
            for (var i = 0; i < 6; i++)
            {
                var store = i % 2 == 0 ? Store : OtherSilo;
                var result = await store.AcquireAnyAsync(Provider, PoolRequest(keys));
                Assert.Equal(PacingStatus.Granted, result.Status);
                Assert.Equal(Time.UtcNow, result.At);
                counts[result.Index]++;
            }
            // Smooth weighted round robin: every run of (sum of weights) choices holds each key exactly its weight.
            Assert.Equal([3, 1, 2], counts);
        }
    }

    [Fact]
    public async Task Disabled_blocked_cooling_and_full_keys_are_skipped()
    {
        var t0 = Time.UtcNow;
        await Store.DisableAsync("sim/a", "401");
        await Store.BlockAsync("sim/b", t0 + TimeSpan.FromSeconds(5), "429");
        await Store.CoolAsync("sim/c", t0 + TimeSpan.FromSeconds(3), "errors");
        Assert.True((await OtherSilo.TryAcquireAsync("sim/d", Request(maxConcurrent: 1, lease: "held"))).IsGranted);
        await Store.DelayAsync("sim/e", t0 + TimeSpan.FromSeconds(1));
        PoolKeyPacing[] keys = [PoolKey("a"), PoolKey("b"), PoolKey("c"), PoolKey("d", maxConcurrent: 1), PoolKey("e")];

        var granted = await OtherSilo.AcquireAnyAsync(Provider, PoolRequest(keys));
        Assert.Equal(new PoolPacingResult(PacingStatus.Granted, 4, t0 + TimeSpan.FromSeconds(1), DisabledMask: 0b1), granted);

        // Once its cool-down is over, c goes as the one trial call (now, sooner than e's next start).
        Time.SetUtcNow(t0 + TimeSpan.FromSeconds(3));
        var trial = await Store.AcquireAnyAsync(Provider, PoolRequest(keys));
        Assert.Equal(new PoolPacingResult(PacingStatus.GrantedTrial, 2, Time.UtcNow, 0b1), trial);
        // While the trial is in flight c is out again; e can start now.
        Assert.Equal(new PoolPacingResult(PacingStatus.Granted, 4, Time.UtcNow, 0b1), await OtherSilo.AcquireAnyAsync(Provider, PoolRequest(keys)));
    }

    [Fact]
    public async Task When_no_key_can_start_in_time_the_soonest_start_is_returned_and_nothing_reserved()
    {
        var t0 = Time.UtcNow;
        await Store.DelayAsync("sim/a", t0 + TimeSpan.FromSeconds(2));
        await Store.DelayAsync("sim/b", t0 + TimeSpan.FromSeconds(3));
        PoolKeyPacing[] keys = [PoolKey("a"), PoolKey("b")];
        var later = await OtherSilo.AcquireAnyAsync(Provider, PoolRequest(keys, acceptWithin: TimeSpan.FromSeconds(1)));
        Assert.Equal(new PoolPacingResult(PacingStatus.Later, 0, t0 + TimeSpan.FromSeconds(2), 0), later);

        await OtherSilo.BlockAsync("sim/b", t0 + TimeSpan.FromMilliseconds(1500), "429");
        Assert.Equal(new PoolPacingResult(PacingStatus.Later, 0, t0 + TimeSpan.FromSeconds(2), 0),
            await Store.AcquireAnyAsync(Provider, PoolRequest(keys, acceptWithin: TimeSpan.FromSeconds(1))));
        await OtherSilo.BlockAsync("sim/a", t0 + TimeSpan.FromSeconds(4), "429");
        // A blocked key's soonest start is the later of its block's end and its schedule.
        Assert.Equal(new PoolPacingResult(PacingStatus.Blocked, 1, t0 + TimeSpan.FromSeconds(3), 0),
            await Store.AcquireAnyAsync(Provider, PoolRequest(keys, acceptWithin: TimeSpan.FromSeconds(1))));

        // Nothing was reserved: once b's block ends, its own schedule (3 s) is the first free start.
        Time.SetUtcNow(t0 + TimeSpan.FromMilliseconds(1500));
        Assert.Equal(new PoolPacingResult(PacingStatus.Granted, 1, t0 + TimeSpan.FromSeconds(3), 0), await OtherSilo.AcquireAnyAsync(Provider, PoolRequest(keys)));
    }

    [Fact]
    public async Task Full_keys_answer_busy_and_disabled_keys_disabled()
    {
        PoolKeyPacing[] keys = [PoolKey("a", maxConcurrent: 1), PoolKey("b")];
        Assert.True((await Store.AcquireAnyAsync(Provider, PoolRequest(keys, lease: "l1"))).IsGranted);
        await Store.DisableAsync("sim/b", "403");
        Assert.Equal(new PoolPacingResult(PacingStatus.Busy, -1, Time.UtcNow, 0b10), await OtherSilo.AcquireAnyAsync(Provider, PoolRequest(keys)));

        await OtherSilo.DisableAsync("sim/a", "401");
        var none = await Store.AcquireAnyAsync(Provider, PoolRequest(keys));
        Assert.Equal(new PoolPacingResult(PacingStatus.Disabled, -1, DateTimeOffset.MaxValue, 0b11), none);
    }

    [Fact]
    public async Task Two_silos_choosing_from_one_pool_interleave_its_keys_exactly()
    {
        var t0 = Time.UtcNow;
        PoolKeyPacing[] keys = [PoolKey("a"), PoolKey("b")];
        var starts = new List<DateTimeOffset>[] { [], [] };
        for (var i = 0; i < 20; i++)
        {
            var result = await (i % 2 == 0 ? Store : OtherSilo).AcquireAnyAsync(Provider, PoolRequest(keys));
            Assert.Equal(PacingStatus.Granted, result.Status);
            starts[result.Index].Add(result.At);
        }

        // Each key started once per spacing, neither ever ahead of the other by more than one call.
        var expected = Enumerable.Range(0, 10).Select(i => t0 + (Spacing * i)).ToArray();
        Assert.Equal(expected, starts[0]);
        Assert.Equal(expected, starts[1]);
        // And the single-key operations see the pool's reservations.
        Assert.Equal(new PacingResult(PacingStatus.Later, t0 + (Spacing * 10)), await Store.TryAcquireAsync("sim/a", Request(acceptWithin: TimeSpan.Zero)));
    }
}
