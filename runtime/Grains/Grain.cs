namespace Parley.Runtime;

/// <summary>Base class of a grain implementation, shaped after Orleans' <c>Grain</c>. The runtime creates it with
/// constructor injection; parameters of type <see cref="IPersistentState{TState}"/> marked with
/// <see cref="PersistentStateAttribute"/> receive the grain's state, bound to the named storage provider.</summary>
public abstract class Grain
{
    private IGrainContext? _context;

    internal void Attach(IGrainContext context) => _context = context;

    private IGrainContext Context => _context ?? throw new InvalidOperationException("The grain is not attached to an activation.");

    public GrainId GrainId => Context.GrainId;

    public string GetPrimaryKeyString() => Context.GrainId.Key;

    protected IGrainFactory GrainFactory => Context.GrainFactory;

    /// <summary>The runtime's clock; use it for every time-based decision so tests can drive time.</summary>
    protected TimeProvider TimeProvider => Context.TimeProvider;

    public virtual Task OnActivateAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public virtual Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Deactivates this activation once the current turn completes.</summary>
    protected void DeactivateOnIdle() => Context.DeactivateOnIdle();

    protected IGrainTimer RegisterGrainTimer<TState>(Func<TState, CancellationToken, Task> callback, TState state, GrainTimerCreationOptions options)
        => Context.RegisterTimer(ct => callback(state, ct), options);

    protected IGrainTimer RegisterGrainTimer(Func<CancellationToken, Task> callback, GrainTimerCreationOptions options)
        => Context.RegisterTimer(callback, options);
}

/// <summary>What an activation exposes to its grain instance.</summary>
internal interface IGrainContext
{
    GrainId GrainId { get; }
    IGrainFactory GrainFactory { get; }
    TimeProvider TimeProvider { get; }
    void DeactivateOnIdle();
    IGrainTimer RegisterTimer(Func<CancellationToken, Task> callback, GrainTimerCreationOptions options);
}
