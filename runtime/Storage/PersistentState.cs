namespace Parley.Runtime.Storage;

/// <summary><see cref="IPersistentState{TState}"/> over a storage provider, bound to one grain and state name.</summary>
internal sealed class PersistentState<TState>(string stateName, GrainId grainId, IGrainStorage storage)
    : IPersistentState<TState>, IPersistentStateBinding
    where TState : class, new()
{
    private readonly GrainState<TState> _record = new(new TState());

    public TState State
    {
        get => _record.State;
        set => _record.State = value ?? throw new ArgumentNullException(nameof(value));
    }

    public string? Etag => _record.ETag;

    public bool RecordExists => _record.RecordExists;

    public Task ReadStateAsync(CancellationToken cancellationToken = default)
        => storage.ReadStateAsync(stateName, grainId, _record, cancellationToken);

    public Task<bool> RefreshStateAsync(CancellationToken cancellationToken = default)
        => storage.ReadStateIfChangedAsync(stateName, grainId, _record, cancellationToken);

    public Task WriteStateAsync(CancellationToken cancellationToken = default)
        => storage.WriteStateAsync(stateName, grainId, _record, cancellationToken);

    public Task ClearStateAsync(CancellationToken cancellationToken = default)
        => storage.ClearStateAsync(stateName, grainId, _record, cancellationToken);
}

/// <summary>Lets the activation read every bound state before OnActivateAsync without knowing its type.</summary>
internal interface IPersistentStateBinding
{
    Task ReadStateAsync(CancellationToken cancellationToken);
}
