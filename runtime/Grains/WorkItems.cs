namespace Parley.Runtime.Grains;

/// <summary>One turn in an activation's mailbox.</summary>
internal abstract class WorkItem
{
    /// <summary>Whether running this turn counts as use (resets the idle clock).</summary>
    public virtual bool KeepsAlive => true;

    /// <summary>Whether the item follows its grain to a new activation when this one deactivates (calls do; timer
    /// ticks belong to the activation and are dropped).</summary>
    public virtual bool Redispatchable => true;

    /// <summary>Runs the turn and keeps its outcome; never throws.</summary>
    public abstract Task ExecuteAsync(Grain grain);

    /// <summary>Hands the outcome to the caller. The loop calls it after its own bookkeeping for the turn (idle
    /// clock, busy flag), so a caller that sees its result never finds the activation still inside that turn.</summary>
    public virtual void Complete()
    {
    }

    /// <summary>Fails the caller's task without running the turn.</summary>
    public abstract void Reject(Exception exception);
}

/// <summary>A call whose method returns Task or ValueTask.</summary>
internal sealed class CallWorkItem(Func<Grain, object?[]?, ValueTask> call, object?[]? args) : WorkItem
{
    // Asynchronous continuations: the caller's code must never run inline on the activation's turn loop.
    private readonly TaskCompletionSource _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Exception? _error;

    public Task Task => _completion.Task;

    public override async Task ExecuteAsync(Grain grain)
    {
        try
        {
            await call(grain, args).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            _error = ex;
        }
    }

    public override void Complete()
    {
        if (_error is null)
        {
            _completion.TrySetResult();
        }
        else
        {
            _completion.TrySetException(_error);
        }
    }

    public override void Reject(Exception exception) => _completion.TrySetException(exception);
}

/// <summary>A call whose method returns Task&lt;T&gt; or ValueTask&lt;T&gt;.</summary>
internal sealed class CallWorkItem<T>(Func<Grain, object?[]?, ValueTask<T>> call, object?[]? args) : WorkItem
{
    private readonly TaskCompletionSource<T> _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private T? _result;
    private Exception? _error;

    public Task<T> Task => _completion.Task;

    public override async Task ExecuteAsync(Grain grain)
    {
        try
        {
            _result = await call(grain, args).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            _error = ex;
        }
    }

    public override void Complete()
    {
        if (_error is null)
        {
            _completion.TrySetResult(_result!);
        }
        else
        {
            _completion.TrySetException(_error);
        }
    }

    public override void Reject(Exception exception) => _completion.TrySetException(exception);
}
