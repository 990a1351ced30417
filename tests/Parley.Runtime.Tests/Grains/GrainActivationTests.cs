using Microsoft.Extensions.DependencyInjection;
using Parley.Runtime.Hosting;

namespace Parley.Runtime.Tests.Grains;

public sealed class GrainActivationTests : IAsyncLifetime
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);
    private GrainHost _host = null!;

    public async Task InitializeAsync() => _host = await GrainHost.StartAsync();

    public async Task DisposeAsync() => await _host.DisposeAsync();

    [Fact]
    public async Task A_grain_is_activated_on_its_first_call_and_reused_after()
    {
        var grain = _host.Factory.GetGrain<ICounterGrain>("a");
        Assert.Equal(0, _host.Statistics.ActivationCount);

        Assert.Equal(1, await grain.IncrementAsync());
        Assert.Equal(2, await _host.Factory.GetGrain<ICounterGrain>("a").IncrementAsync());
        Assert.Equal(1, await _host.Factory.GetGrain<ICounterGrain>("b").IncrementAsync());

        Assert.Equal(1, _host.Probe.Count("activate:a:"));
        Assert.Equal(1, _host.Probe.Count("activate:b:"));
        Assert.Equal(2, _host.Statistics.ActivationCount);
        Assert.Equal(2, _host.Statistics.ActivationsCreated);
        Assert.Equal(new Dictionary<string, int> { ["counter"] = 2, ["short"] = 0, ["notes"] = 0 }, _host.Statistics.GetActivationCounts());
        Assert.Equal(_host.Factory.GetGrain<ICounterGrain>("a"), grain);
        Assert.Equal("GrainReference(counter/a)", grain.ToString());
    }

    [Fact]
    public async Task Concurrent_activating_calls_create_one_activation()
    {
        var calls = Enumerable.Range(0, 50).Select(_ => Task.Run(() => _host.Factory.GetGrain<ICounterGrain>("same").IncrementAsync()));
        var results = await Task.WhenAll(calls);

        Assert.Equal(Enumerable.Range(1, 50), results.Order());
        Assert.Equal(1, _host.Probe.Count("activate:same:"));
        Assert.Equal(1, _host.Statistics.ActivationCount);
    }

    [Fact]
    public async Task Calls_to_one_activation_run_one_at_a_time_in_arrival_order()
    {
        var grain = _host.Factory.GetGrain<ICounterGrain>("serial");
        _host.Probe.Gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var first = grain.EnterAsync(0);
        await _host.Probe.Entered.Task.WaitAsync(Timeout);
        var rest = Enumerable.Range(1, 49).Select(grain.EnterAsync).ToList();
        Assert.All(rest, t => Assert.False(t.IsCompleted));

        _host.Probe.Gate.SetResult();
        await Task.WhenAll(rest.Prepend(first)).WaitAsync(Timeout);

        Assert.Equal(Enumerable.Range(0, 50), _host.Probe.Order);
        Assert.Equal(1, await grain.GetMaxConcurrencyAsync());
    }

    [Fact]
    public async Task Many_concurrent_callers_never_overlap_inside_one_activation()
    {
        var grain = _host.Factory.GetGrain<ICounterGrain>("busy");
        var calls = Enumerable.Range(1, 200).Select(i => Task.Run(() => grain.EnterAsync(i)));
        var results = await Task.WhenAll(calls).WaitAsync(Timeout);

        Assert.Equal(Enumerable.Range(1, 200), results.Order());
        Assert.Equal(1, await grain.GetMaxConcurrencyAsync());
    }

    [Fact]
    public async Task Different_grains_run_concurrently()
    {
        _host.Probe.Gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var blocked = _host.Factory.GetGrain<ICounterGrain>("blocked").EnterAsync(0);
        await _host.Probe.Entered.Task.WaitAsync(Timeout);

        Assert.Equal(1, await _host.Factory.GetGrain<ICounterGrain>("free").IncrementAsync().WaitAsync(Timeout));
        Assert.False(blocked.IsCompleted);

        _host.Probe.Gate.SetResult();
        Assert.Equal(1, await blocked.WaitAsync(Timeout));
    }

    [Fact]
    public async Task Exceptions_from_grain_methods_reach_the_caller_unchanged_and_the_activation_survives()
    {
        var grain = _host.Factory.GetGrain<ICounterGrain>("thrower");
        await grain.IncrementAsync();

        var async = await Assert.ThrowsAsync<CounterGrainException>(() => grain.ThrowAsync("boom"));
        Assert.Equal("boom", async.Message);
        var sync = await Assert.ThrowsAsync<CounterGrainException>(() => grain.ThrowSynchronously("bang"));
        Assert.Equal("bang", sync.Message);

        Assert.Equal(2, await grain.IncrementAsync());
        Assert.Equal(1, _host.Probe.Count("activate:thrower:"));
    }

    [Fact]
    public async Task ValueTask_methods_and_arguments_are_supported()
    {
        var grain = _host.Factory.GetGrain<ICounterGrain>("echo");
        Assert.Equal("ababab", await grain.EchoAsync("ab", 3));
        await grain.PingAsync();
    }

    [Fact]
    public async Task A_failing_OnActivateAsync_fails_the_call_and_the_next_call_activates_again()
    {
        var grain = _host.Factory.GetGrain<ICounterGrain>("fragile");
        _host.Probe.FailActivation = true;

        var ex = await Assert.ThrowsAsync<InvalidOperationException>(() => grain.IncrementAsync());
        Assert.Equal("activation failed on purpose", ex.Message);
        Assert.Equal(0, _host.Statistics.ActivationCount);
        Assert.Equal(1, _host.Statistics.ActivationFailures);

        _host.Probe.FailActivation = false;
        Assert.Equal(1, await grain.IncrementAsync());
        Assert.Equal(2, _host.Probe.Count("activate:fragile:"));
        Assert.Equal(1, _host.Statistics.ActivationCount);
        // A failed activation never ran, so it is not deactivated either.
        Assert.Equal(0, _host.Probe.Count("deactivate:fragile:"));
    }

    [Fact]
    public async Task Each_persistent_state_parameter_is_bound_to_its_own_state_name()
    {
        await _host.Factory.GetGrain<INotesGrain>("n").SetAsync("one", "two");

        var first = new Runtime.Storage.GrainState<NoteState>(new NoteState());
        await _host.Storage.ReadStateAsync("first", new GrainId("notes", "n"), first);
        var second = new Runtime.Storage.GrainState<NoteState>(new NoteState());
        await _host.Storage.ReadStateAsync("second", new GrainId("notes", "n"), second);
        Assert.Equal("one", first.State.Text);
        Assert.Equal("two", second.State.Text);
    }

    [Fact]
    public void An_unregistered_interface_cannot_be_referenced()
    {
        var ex = Assert.Throws<InvalidOperationException>(() => _host.Factory.GetGrain<INotRegisteredGrain>("x"));
        Assert.Contains(nameof(INotRegisteredGrain), ex.Message);
    }

    [Fact]
    public void Grain_classes_the_runtime_cannot_host_are_refused_at_registration()
    {
        var services = new ServiceCollection();
        Assert.Throws<NotSupportedException>(() => services.AddGrain<ISynchronousGrain, SynchronousGrain>());
        var unnamed = Assert.Throws<InvalidOperationException>(() => services.AddGrain<INotRegisteredGrain, UnnamedGrain>());
        Assert.Contains("GrainType", unnamed.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => services.AddGrain<ICounterGrain, CounterGrain>(TimeSpan.Zero));
    }
}
