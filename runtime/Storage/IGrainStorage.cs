namespace Parley.Runtime;

/// <summary>The state record a storage provider reads into and writes from.</summary>
public interface IGrainState<TState>
{
    TState State { get; set; }
    string? ETag { get; set; }
    bool RecordExists { get; set; }
}

/// <summary>A grain storage provider (in-memory or Redis), shaped after Orleans' <c>IGrainStorage</c>.
/// Every provider passes the same contract suite: a write whose ETag does not match the stored one throws
/// <see cref="InconsistentStateException"/>; a write of a record that does not exist requires a null ETag.</summary>
public interface IGrainStorage
{
    Task ReadStateAsync<TState>(string stateName, GrainId grainId, IGrainState<TState> grainState, CancellationToken cancellationToken = default);
    Task WriteStateAsync<TState>(string stateName, GrainId grainId, IGrainState<TState> grainState, CancellationToken cancellationToken = default);
    Task ClearStateAsync<TState>(string stateName, GrainId grainId, IGrainState<TState> grainState, CancellationToken cancellationToken = default);

    /// <summary>Reads the record only if it changed since <paramref name="grainState"/> was read or written: if the
    /// stored ETag equals <see cref="IGrainState{TState}.ETag"/> (and the record exists exactly when
    /// <see cref="IGrainState{TState}.RecordExists"/> says so), <paramref name="grainState"/> is left untouched and the
    /// result is false; otherwise this is <see cref="ReadStateAsync{TState}"/> (a deleted record gives the default
    /// state, a null ETag and RecordExists false) and the result is true.</summary>
    /// <remarks>Lets an activation that may have been overtaken by another silo confirm its state is current without
    /// fetching and deserialising the whole record. The default re-reads unconditionally, which is correct but saves
    /// nothing, so a provider (or a wrapper around one) should override it.</remarks>
    async Task<bool> ReadStateIfChangedAsync<TState>(string stateName, GrainId grainId, IGrainState<TState> grainState, CancellationToken cancellationToken = default)
    {
        await ReadStateAsync(stateName, grainId, grainState, cancellationToken).ConfigureAwait(false);
        return true;
    }
}

/// <summary>A write was refused because the stored ETag differs from the one the writer read.</summary>
public sealed class InconsistentStateException(string message, string? storedEtag, string? currentEtag) : Exception(message)
{
    public string? StoredEtag { get; } = storedEtag;
    public string? CurrentEtag { get; } = currentEtag;
}
