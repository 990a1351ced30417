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
}

/// <summary>A write was refused because the stored ETag differs from the one the writer read.</summary>
public sealed class InconsistentStateException(string message, string? storedEtag, string? currentEtag) : Exception(message)
{
    public string? StoredEtag { get; } = storedEtag;
    public string? CurrentEtag { get; } = currentEtag;
}
