namespace Parley.Runtime.Tests.Grains;

/// <summary>Deactivation (idle, requested, shutdown) and timers, driven by the host's manual clock.</summary>
public sealed class GrainLifecycleTests : IAsyncLifetime
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);
    private GrainHost _host = null!;

    public async Task InitializeAsync() => _host = await GrainHost.StartAsync();

    public async Task DisposeAsync() => await _host.DisposeAsync();

    [Fact]
    public async Task An_idle_activation_is_deactivated_after_its_collection_age_and_the_next_call_rereads_its_state()
    {
        var grain = _host.Factory.GetGrain<ICounterGrain>("idle");
        for (var i = 0; i < 3; i++)
        {
            await grain.IncrementAsync();
        }
        var firstInstance = await grain.GetInstanceAsync();

        _host.Time.Advance(GrainHost.CollectionAge - GrainHost.Quantum);
        Assert.Equal(0, await _host.Catalog.CollectIdleAsync());
        Assert.Equal(0, _host.Probe.Count("deactivate:idle:"));

        _host.Time.Advance(GrainHost.Quantum);
        // The count lived only in memory until OnDeactivateAsync wrote it; the new activation read it back.
        Assert.Equal(3, await grain.GetAsync());
        Assert.NotEqual(firstInstance, await grain.GetInstanceAsync());
        Assert.Equal(1, _host.Probe.Count("deactivated:idle:"));
        Assert.Equal([DeactivationReasonCode.ActivationIdle], _host.Probe.DeactivationReasons);
        Assert.Equal(2, _host.Probe.Count("activate:idle:"));
        Assert.Equal(1, _host.Statistics.Deactivations);
    }

    [Fact]
    public async Task Use_resets_the_idle_clock()
    {
        var grain = _host.Factory.GetGrain<ICounterGrain>("used");
        await grain.IncrementAsync();
        for (var i = 0; i < 3; i++)
        {
            _host.Time.Advance(GrainHost.CollectionAge - GrainHost.Quantum);
            await grain.IncrementAsync();
        }

        Assert.Equal(0, await _host.Catalog.CollectIdleAsync());
        Assert.Equal(1, _host.Probe.Count("activate:used:"));
        Assert.Equal(4, await grain.GetAsync());
    }

    [Fact]
    public async Task A_grain_types_own_collection_age_overrides_the_default()
    {
        var shortLived = _host.Factory.GetGrain<IShortLivedGrain>("s");
        var counter = _host.Factory.GetGrain<ICounterGrain>("c");
        var shortInstance = await shortLived.GetInstanceAsync();
        var counterInstance = await counter.GetInstanceAsync();

        _host.Time.Advance(GrainHost.ShortCollectionAge + GrainHost.Quantum);

        Assert.NotEqual(shortInstance, await shortLived.GetInstanceAsync());
        Assert.Equal(counterInstance, await counter.GetInstanceAsync());
    }

    [Fact]
    public async Task DeactivateOnIdle_deactivates_after_the_current_turn()
    {
        var grain = _host.Factory.GetGrain<ICounterGrain>("requested");
        await grain.IncrementAsync();
        var before = await grain.GetInstanceAsync();

        await grain.RequestDeactivationAsync();

        Assert.Equal(1, await grain.GetAsync());
        Assert.NotEqual(before, await grain.GetInstanceAsync());
        Assert.Equal([DeactivationReasonCode.ApplicationRequested], _host.Probe.DeactivationReasons);
    }

    [Fact]
    public async Task A_call_arriving_during_deactivation_waits_and_runs_on_a_fresh_activation()
    {
        var grain = _host.Factory.GetGrain<ICounterGrain>("closing");
        await grain.IncrementAsync();
        var old = await grain.GetInstanceAsync();
        _host.Probe.DeactivationGate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await grain.RequestDeactivationAsync();
        await _host.Probe.DeactivationEntered.Task.WaitAsync(Timeout);

        var during = grain.IncrementAsync();
        // Nothing may answer it while the old activation is still writing its state.
        Assert.NotSame(during, await Task.WhenAny(during, Task.Delay(100)));

        _host.Probe.DeactivationGate.SetResult();
        Assert.Equal(2, await during.WaitAsync(Timeout));
        Assert.NotEqual(old, await grain.GetInstanceAsync());
        var events = _host.Probe.Events.ToList();
        Assert.True(events.IndexOf($"deactivated:closing:{old}") < events.FindLastIndex(e => e.StartsWith("activate:closing:", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task Timer_ticks_run_as_turns_of_their_activation()
    {
        var grain = _host.Factory.GetGrain<ICounterGrain>("ticking");
        await grain.StartTimerAsync(TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(10), keepAlive: false);
        Assert.Equal(0, await grain.GetTicksAsync());

        _host.Time.Advance(TimeSpan.FromSeconds(9));
        Assert.Equal(0, await grain.GetTicksAsync());
        _host.Time.Advance(TimeSpan.FromSeconds(1));
        // The tick was queued before this call, so it ran first.
        Assert.Equal(1, await grain.GetTicksAsync());
        _host.Time.Advance(TimeSpan.FromSeconds(10));
        var calls = Enumerable.Range(1, 20).Select(grain.EnterAsync).ToList();
        await Task.WhenAll(calls);
        Assert.Equal(2, await grain.GetTicksAsync());
        Assert.Equal(1, await grain.GetMaxConcurrencyAsync());
    }

    [Fact]
    public async Task A_keep_alive_timer_keeps_its_activation_alive_and_a_plain_one_does_not()
    {
        var kept = _host.Factory.GetGrain<ICounterGrain>("kept");
        await kept.StartTimerAsync(GrainHost.Quantum, GrainHost.Quantum, keepAlive: true);
        var keptInstance = await kept.GetInstanceAsync();
        for (var minute = 1; minute <= 12; minute++)
        {
            _host.Time.Advance(GrainHost.Quantum);
            await _host.Probe.WaitForTickAsync(minute);
            // The collector's timer and the re-armed grain timer: the tick's turn is over.
            await _host.Time.WaitForActiveTimersAsync(2);
        }
        Assert.Equal(keptInstance, await kept.GetInstanceAsync());
        Assert.Equal(0, _host.Probe.Count("deactivate:kept:"));

        var plain = _host.Factory.GetGrain<ICounterGrain>("plain");
        await plain.StartTimerAsync(GrainHost.Quantum, GrainHost.Quantum, keepAlive: false);
        var plainInstance = await plain.GetInstanceAsync();
        var ticksBefore = _host.Probe.Ticks;
        // Both grains tick each minute until the plain one is collected at its collection age.
        for (var minute = 1; minute < 10; minute++)
        {
            _host.Time.Advance(GrainHost.Quantum);
            await _host.Probe.WaitForTickAsync(ticksBefore + (2 * minute));
            await _host.Time.WaitForActiveTimersAsync(3);
        }
        _host.Time.Advance(GrainHost.Quantum);
        Assert.NotEqual(plainInstance, await plain.GetInstanceAsync());
        Assert.Equal(1, _host.Probe.Count("deactivated:plain:"));
        Assert.Equal(0, await plain.GetTicksAsync());
    }

    [Fact]
    public async Task Shutdown_deactivates_every_activation_which_persists_its_state()
    {
        foreach (var key in new[] { "x", "y", "z" })
        {
            var grain = _host.Factory.GetGrain<ICounterGrain>(key);
            for (var i = 0; i < key[0] - 'w'; i++)
            {
                await grain.IncrementAsync();
            }
        }

        await _host.StopAsync();

        Assert.Equal(3, _host.Probe.Count("deactivated:"));
        Assert.All(_host.Probe.DeactivationReasons, r => Assert.Equal(DeactivationReasonCode.ShuttingDown, r));
        Assert.Equal(0, _host.Statistics.ActivationCount);
        foreach (var (key, expected) in new[] { ("x", 1), ("y", 2), ("z", 3) })
        {
            var record = new Runtime.Storage.GrainState<CounterState>(new CounterState());
            await _host.Storage.ReadStateAsync("counter", new GrainId("counter", key), record);
            Assert.Equal(expected, record.State.Count);
        }
        await Assert.ThrowsAsync<InvalidOperationException>(() => _host.Factory.GetGrain<ICounterGrain>("x").GetAsync());
    }
}
