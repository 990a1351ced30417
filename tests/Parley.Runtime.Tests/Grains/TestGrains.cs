using System.Collections.Concurrent;

namespace Parley.Runtime.Tests.Grains;

public interface ICounterGrain : IGrainWithStringKey
{
    Task<int> IncrementAsync();
    Task<int> GetAsync();
    Task<int> GetInstanceAsync();
    ValueTask<string> EchoAsync(string text, int times);
    ValueTask PingAsync();
    Task RequestDeactivationAsync();
    Task ThrowAsync(string message);
    Task ThrowSynchronously(string message);
    Task<int> EnterAsync(int sequence);
    Task StartTimerAsync(TimeSpan dueTime, TimeSpan period, bool keepAlive);
    Task<int> GetTicksAsync();
    Task<int> GetMaxConcurrencyAsync();
}

public interface IShortLivedGrain : IGrainWithStringKey
{
    Task<int> GetInstanceAsync();
}

public interface INotesGrain : IGrainWithStringKey
{
    Task SetAsync(string first, string second);
}

public interface INotRegisteredGrain : IGrainWithStringKey
{
    Task PingAsync();
}

public interface ISynchronousGrain : IGrainWithStringKey
{
    int Get();
}

public sealed class CounterGrainException(string message) : Exception(message);

/// <summary>What the test grains report to the test: lifecycle events, concurrency, ticks. A DI singleton.</summary>
public sealed class GrainProbe
{
    private int _instances;

    public ConcurrentQueue<string> Events { get; } = new();
    public ConcurrentQueue<int> Order { get; } = new();
    public ConcurrentQueue<DeactivationReasonCode> DeactivationReasons { get; } = new();
    public volatile bool FailActivation;
    public TaskCompletionSource? Gate { get; set; }
    public TaskCompletionSource Entered { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    public TaskCompletionSource? DeactivationGate { get; set; }
    public TaskCompletionSource DeactivationEntered { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly ConcurrentDictionary<int, TaskCompletionSource> _tickWaiters = new();
    private int _ticks;

    public int Ticks => Volatile.Read(ref _ticks);

    public int NextInstance() => Interlocked.Increment(ref _instances);

    public int Count(string prefix) => Events.Count(e => e.StartsWith(prefix, StringComparison.Ordinal));

    public void Tick()
    {
        var n = Interlocked.Increment(ref _ticks);
        _tickWaiters.GetOrAdd(n, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
    }

    public Task WaitForTickAsync(int n)
        => _tickWaiters.GetOrAdd(n, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).Task.WaitAsync(TimeSpan.FromSeconds(10));
}

[GrainType("counter")]
public sealed class CounterGrain([PersistentState("counter")] IPersistentState<CounterState> state, GrainProbe probe) : Grain, ICounterGrain
{
    private readonly int _instance = probe.NextInstance();
    private int _count;
    private int _ticks;
    // Deliberately plain fields: if two turns ever overlapped, _maxInside would record it.
    private int _inside;
    private int _maxInside;

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        probe.Events.Enqueue($"activate:{GetPrimaryKeyString()}:{_instance}");
        if (probe.FailActivation)
        {
            throw new InvalidOperationException("activation failed on purpose");
        }
        _count = state.State.Count;
        return Task.CompletedTask;
    }

    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        probe.Events.Enqueue($"deactivate:{GetPrimaryKeyString()}:{_instance}");
        probe.DeactivationReasons.Enqueue(reason.ReasonCode);
        probe.DeactivationEntered.TrySetResult();
        if (probe.DeactivationGate is { } gate)
        {
            await gate.Task;
        }
        state.State.Count = _count;
        await state.WriteStateAsync(cancellationToken);
        probe.Events.Enqueue($"deactivated:{GetPrimaryKeyString()}:{_instance}");
    }

    public Task<int> IncrementAsync() => Task.FromResult(++_count);

    public Task<int> GetAsync() => Task.FromResult(_count);

    public Task<int> GetInstanceAsync() => Task.FromResult(_instance);

    public async ValueTask<string> EchoAsync(string text, int times)
    {
        await Task.Yield();
        return string.Concat(Enumerable.Repeat(text, times));
    }

    public ValueTask PingAsync() => ValueTask.CompletedTask;

    public Task RequestDeactivationAsync()
    {
        DeactivateOnIdle();
        return Task.CompletedTask;
    }

    public async Task ThrowAsync(string message)
    {
        await Task.Yield();
        throw new CounterGrainException(message);
    }

    public Task ThrowSynchronously(string message) => throw new CounterGrainException(message);

    public async Task<int> EnterAsync(int sequence)
    {
        await InsideTurnAsync(async () =>
        {
            probe.Order.Enqueue(sequence);
            if (sequence == 0 && probe.Gate is { } gate)
            {
                probe.Entered.TrySetResult();
                await gate.Task;
            }
        });
        return ++_count;
    }

    public Task StartTimerAsync(TimeSpan dueTime, TimeSpan period, bool keepAlive)
    {
        RegisterGrainTimer(async _ =>
        {
            await InsideTurnAsync(() => Task.CompletedTask);
            _ticks++;
            probe.Tick();
        }, new GrainTimerCreationOptions(dueTime, period) { KeepAlive = keepAlive });
        return Task.CompletedTask;
    }

    public Task<int> GetTicksAsync() => Task.FromResult(_ticks);

    public Task<int> GetMaxConcurrencyAsync() => Task.FromResult(_maxInside);

    private async Task InsideTurnAsync(Func<Task> body)
    {
        var inside = Interlocked.Increment(ref _inside);
        _maxInside = Math.Max(_maxInside, inside);
        try
        {
            // Yield so that, were turns not serialised, other calls would run in between.
            await Task.Yield();
            await body();
            await Task.Yield();
        }
        finally
        {
            Interlocked.Decrement(ref _inside);
        }
    }
}

[GrainType("short")]
public sealed class ShortLivedGrain(GrainProbe probe) : Grain, IShortLivedGrain
{
    private readonly int _instance = probe.NextInstance();

    public Task<int> GetInstanceAsync() => Task.FromResult(_instance);
}

[GrainType("notes")]
public sealed class NotesGrain(
    [PersistentState("first")] IPersistentState<NoteState> first,
    GrainProbe probe,
    [PersistentState("second")] IPersistentState<NoteState> second) : Grain, INotesGrain
{
    public async Task SetAsync(string a, string b)
    {
        _ = probe;
        first.State.Text = a;
        second.State.Text = b;
        await first.WriteStateAsync();
        await second.WriteStateAsync();
    }
}

[GrainType("sync")]
public sealed class SynchronousGrain : Grain, ISynchronousGrain
{
    public int Get() => 1;
}

public sealed class UnnamedGrain : Grain, INotRegisteredGrain
{
    public Task PingAsync() => Task.CompletedTask;
}
