using Microsoft.Extensions.DependencyInjection;
using Parley.Runtime.Storage;

namespace Parley.Runtime.Grains;

/// <summary>Activation and deactivation of a <see cref="GrainActivation"/>; both run on its turn loop.</summary>
internal sealed partial class GrainActivation
{
    private async Task<bool> ActivateAsync()
    {
        try
        {
            _scope = _catalog.Services.CreateAsyncScope();
            _hasScope = true;
            var services = _scope.ServiceProvider;
            var states = new object[_registration.States.Length];
            for (var i = 0; i < states.Length; i++)
            {
                states[i] = _registration.States[i].CreateFor(GrainId, services);
            }
            var grain = (Grain)_registration.Factory(services, states);
            grain.Attach(this);
            _grain = grain;
            foreach (IPersistentStateBinding state in states)
            {
                await state.ReadStateAsync(_lifetime.Token).ConfigureAwait(false);
            }
            await grain.OnActivateAsync(_lifetime.Token).ConfigureAwait(false);
            lock (_lock)
            {
                _state = ActivationState.Valid;
            }
            _catalog.OnActivated(this);
            return true;
        }
        catch (Exception ex)
        {
            _catalog.Log.ActivationFailed(GrainId, ex);
            _catalog.OnActivationFailed(this);
            await ReleaseAsync().ConfigureAwait(false);
            foreach (var pending in Invalidate())
            {
                // Everything that was waiting for this activation fails with the activation's error; the next call
                // creates a new activation and tries again.
                pending.Reject(ex);
            }
            return false;
        }
    }

    private async Task FinishDeactivationAsync(DeactivationReason reason)
    {
        await _lifetime.CancelAsync().ConfigureAwait(false);
        DisposeTimers();
        using (var timeout = new CancellationTokenSource(_catalog.Options.DeactivationTimeout, TimeProvider))
        {
            try
            {
                await _grain!.OnDeactivateAsync(reason, timeout.Token).ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                _catalog.Log.DeactivationFailed(GrainId, reason.ReasonCode, ex);
            }
        }
        await ReleaseAsync().ConfigureAwait(false);
        var pending = Invalidate();
        _catalog.OnDeactivated(this, reason);
        foreach (var item in pending)
        {
            if (item.Redispatchable)
            {
                _catalog.Dispatch(_registration, GrainId, item);
            }
            else
            {
                item.Reject(new InvalidOperationException($"{GrainId} was deactivated."));
            }
        }
    }

    // Removes the activation from the directory, then marks it invalid and takes what is still queued. In that
    // order, a caller that finds it in the directory either queues before the drain or is told to look again.
    private List<WorkItem> Invalidate()
    {
        _catalog.Remove(this);
        List<WorkItem> pending;
        lock (_lock)
        {
            _state = ActivationState.Invalid;
            _running = false;
            pending = [.. _queue];
            _queue.Clear();
        }
        _invalidated.TrySetResult();
        return pending;
    }

    private async Task ReleaseAsync()
    {
        if (!_lifetime.IsCancellationRequested)
        {
            await _lifetime.CancelAsync().ConfigureAwait(false);
        }
        DisposeTimers();
        try
        {
            switch (_grain)
            {
                case IAsyncDisposable asyncDisposable:
                    await asyncDisposable.DisposeAsync().ConfigureAwait(false);
                    break;
                case IDisposable disposable:
                    disposable.Dispose();
                    break;
            }
            if (_hasScope)
            {
                await _scope.DisposeAsync().ConfigureAwait(false);
            }
        }
        catch (Exception ex)
        {
            _catalog.Log.DisposeFailed(GrainId, ex);
        }
    }

    private void DisposeTimers()
    {
        GrainTimer[] timers;
        lock (_lock)
        {
            timers = [.. _timers];
        }
        foreach (var timer in timers)
        {
            timer.Dispose();
        }
    }
}
