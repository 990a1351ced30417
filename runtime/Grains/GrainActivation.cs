using Microsoft.Extensions.DependencyInjection;

namespace Parley.Runtime.Grains;

/// <summary>One activation of one grain: a FIFO mailbox whose items run one at a time on a loop that exists only
/// while there is work. Lifecycle: Created → Activating → Valid → Deactivating → Invalid. The activation stays in the
/// directory until its deactivation (including the grain's final state write) has finished, and calls that arrive
/// meanwhile are queued and then re-dispatched to a fresh activation, so no call ever runs on a deactivated grain
/// and a new activation never reads state the old one has not finished writing.</summary>
internal sealed partial class GrainActivation : IGrainContext
{
    private readonly GrainCatalog _catalog;
    private readonly GrainRegistration _registration;
    private readonly Lock _lock = new();
    private readonly Queue<WorkItem> _queue = new();
    private readonly TaskCompletionSource _invalidated = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CancellationTokenSource _lifetime = new();
    private readonly List<GrainTimer> _timers = [];
    private ActivationState _state;
    private bool _running;
    private bool _busy;
    private DeactivationReason? _pendingDeactivation;
    private Grain? _grain;
    private AsyncServiceScope _scope;
    private bool _hasScope;
    private long _lastUse;

    public GrainActivation(GrainCatalog catalog, GrainRegistration registration, GrainId grainId)
    {
        _catalog = catalog;
        _registration = registration;
        GrainId = grainId;
        _lastUse = catalog.TimeProvider.GetTimestamp();
    }

    private enum ActivationState
    {
        Created,
        Activating,
        Valid,
        Deactivating,
        Invalid,
    }

    public GrainId GrainId { get; }

    public GrainRegistration Registration => _registration;

    public IGrainFactory GrainFactory => _catalog.GrainFactory;

    public TimeProvider TimeProvider => _catalog.TimeProvider;

    /// <summary>Cancelled when the activation starts deactivating; passed to timer callbacks.</summary>
    public CancellationToken TimerCancellation => _lifetime.Token;

    /// <summary>Completes when the activation has left the directory for good.</summary>
    public Task Invalidated => _invalidated.Task;

    /// <summary>Queues a turn. False if the activation is gone (the caller looks it up again), or if it is
    /// deactivating and the item cannot move to the next activation.</summary>
    public bool TryEnqueue(WorkItem item)
    {
        var now = item.KeepsAlive ? TimeProvider.GetTimestamp() : 0;
        bool start;
        lock (_lock)
        {
            if (_state == ActivationState.Invalid || (_state == ActivationState.Deactivating && !item.Redispatchable))
            {
                return false;
            }
            _queue.Enqueue(item);
            if (item.KeepsAlive)
            {
                _lastUse = now;
            }
            start = !_running;
            _running = true;
        }
        if (start)
        {
            StartLoop();
        }
        return true;
    }

    /// <summary>Starts an idle deactivation if nothing is running or queued and the activation has been unused for
    /// at least its collection age. Returns the task of that deactivation, or null.</summary>
    public Task? TryCollect(long nowTimestamp, TimeSpan collectionAge)
    {
        bool start;
        lock (_lock)
        {
            // Not _running: the loop may still be winding down after a turn whose caller already has its result;
            // the pending deactivation is then picked up by that same loop before it exits.
            if (_state != ActivationState.Valid || _busy || _queue.Count > 0 || _pendingDeactivation is not null
                || TimeProvider.GetElapsedTime(_lastUse, nowTimestamp) < collectionAge)
            {
                return null;
            }
            _pendingDeactivation = new DeactivationReason(DeactivationReasonCode.ActivationIdle, "Idle longer than the collection age.");
            start = !_running;
            _running = true;
        }
        if (start)
        {
            StartLoop();
        }
        return Invalidated;
    }

    /// <summary>Requests deactivation once the current turn (if any) completes; returns when the activation is gone.</summary>
    public Task DeactivateAsync(DeactivationReason reason)
    {
        RequestDeactivation(reason);
        return Invalidated;
    }

    public void DeactivateOnIdle()
        => RequestDeactivation(new DeactivationReason(DeactivationReasonCode.ApplicationRequested, "DeactivateOnIdle was called."));

    public IGrainTimer RegisterTimer(Func<CancellationToken, Task> callback, GrainTimerCreationOptions options)
    {
        ArgumentNullException.ThrowIfNull(callback);
        lock (_lock)
        {
            if (_state is ActivationState.Deactivating or ActivationState.Invalid)
            {
                throw new InvalidOperationException($"Cannot register a timer on {GrainId}: it is deactivating.");
            }
        }
        var timer = new GrainTimer(this, TimeProvider, callback, options);
        lock (_lock)
        {
            _timers.Add(timer);
        }
        return timer;
    }

    public void OnTimerDisposed(GrainTimer timer)
    {
        lock (_lock)
        {
            _timers.Remove(timer);
        }
    }

    public void OnTimerFailed(Exception exception) => _catalog.Log.TimerFailed(GrainId, exception);

    private void RequestDeactivation(DeactivationReason reason)
    {
        bool start;
        lock (_lock)
        {
            if (_state is ActivationState.Deactivating or ActivationState.Invalid)
            {
                return;
            }
            _pendingDeactivation ??= reason;
            start = !_running;
            _running = true;
        }
        if (start)
        {
            StartLoop();
        }
    }

    private void StartLoop() => ThreadPool.UnsafeQueueUserWorkItem(static a => _ = a.RunAsync(), this, preferLocal: false);

    private async Task RunAsync()
    {
        while (true)
        {
            WorkItem? item;
            DeactivationReason? deactivation = null;
            var activate = false;
            lock (_lock)
            {
                if (_state == ActivationState.Created)
                {
                    _state = ActivationState.Activating;
                    activate = true;
                    item = null;
                }
                else if (_pendingDeactivation is { } reason)
                {
                    _state = ActivationState.Deactivating;
                    deactivation = reason;
                    item = null;
                }
                else if (_queue.TryDequeue(out item))
                {
                    _busy = true;
                }
                else
                {
                    _running = false;
                    return;
                }
            }
            if (activate)
            {
                if (!await ActivateAsync().ConfigureAwait(false))
                {
                    return;
                }
                continue;
            }
            if (deactivation is { } r)
            {
                await FinishDeactivationAsync(r).ConfigureAwait(false);
                return;
            }
            await item!.ExecuteAsync(_grain!).ConfigureAwait(false);
            var now = item.KeepsAlive ? TimeProvider.GetTimestamp() : 0;
            lock (_lock)
            {
                _busy = false;
                if (item.KeepsAlive)
                {
                    _lastUse = now;
                }
            }
            item.Complete();
        }
    }
}
