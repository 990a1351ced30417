using Parley.Grains.UpstreamKeys;

namespace Parley.Grains.Tests.UpstreamKeys;

/// <summary>The schedule as operators see it (the console): exactly what the pacing state holds, shared by every silo.</summary>
public abstract partial class UpstreamKeyStoreContractTests
{
    [Fact]
    public async Task A_key_never_paced_has_an_empty_schedule()
    {
        var schedule = await Store.GetScheduleAsync(Key, Time.UtcNow);
        Assert.Equal(UpstreamKeySchedule.Empty, schedule);
        Assert.Equal(Time.UtcNow, schedule.NextAllowedAt(Time.UtcNow));
    }

    [Fact]
    public async Task The_schedule_shows_next_starts_what_was_learnt_and_slots_in_flight_across_silos()
    {
        var t0 = Time.UtcNow;
        Assert.True((await Store.TryAcquireAsync(Key, Request(tokenSpacing: TimeSpan.FromSeconds(2), maxConcurrent: 3, lease: "l1"))).IsGranted);
        Assert.True((await Store.TryAcquireAsync(Key, Request(tokenSpacing: TimeSpan.FromMilliseconds(10), maxConcurrent: 3, lease: "l2"))).IsGranted);

        var paced = await OtherSilo.GetScheduleAsync(Key, Time.UtcNow);
        // The second start waited for the first call's tokens (2 s); the request spacing and token hold follow it.
        Assert.Equal(new UpstreamKeySchedule(t0 + TimeSpan.FromSeconds(2) + Spacing, t0 + TimeSpan.FromSeconds(2) + TimeSpan.FromMilliseconds(10), null, null, 2), paced);
        Assert.Equal(t0 + TimeSpan.FromSeconds(2) + Spacing, paced.NextAllowedAt(t0));

        // What the upstream's headers taught: a hold, and the newest window.
        await OtherSilo.DelayAsync(Key, t0 + TimeSpan.FromSeconds(5));
        var window = new StartAllowance(t0, t0 + TimeSpan.FromSeconds(60), 7);
        await OtherSilo.LimitStartsAsync(Key, window);
        await Store.ReleaseAsync(Key, "l1");

        var learnt = await WaitForScheduleAsync(s => s.InFlight == 1);
        Assert.Equal(new UpstreamKeySchedule(t0 + TimeSpan.FromSeconds(5), t0 + TimeSpan.FromSeconds(2) + TimeSpan.FromMilliseconds(10),
            t0 + TimeSpan.FromSeconds(5), window, 1), learnt);
        Assert.Equal(t0 + TimeSpan.FromSeconds(5), learnt.NextAllowedAt(t0));
        Assert.Equal(t0 + TimeSpan.FromMinutes(1), learnt.NextAllowedAt(t0 + TimeSpan.FromMinutes(1)));

        // A slot whose holder never released it stops counting when its lease lapses.
        Assert.Equal(0, (await Store.GetScheduleAsync(Key, t0 + Long + TimeSpan.FromSeconds(1))).InFlight);
    }

    // A release is fire-and-forget on Redis: read until it has landed (bounded).
    private async Task<UpstreamKeySchedule> WaitForScheduleAsync(Func<UpstreamKeySchedule, bool> done)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (true)
        {
            var schedule = await Store.GetScheduleAsync(Key, Time.UtcNow);
            if (done(schedule) || DateTime.UtcNow > deadline)
            {
                return schedule;
            }
            await Task.Delay(10);
        }
    }
}
