namespace Parley.Runtime.Storage;

/// <summary>The record a storage provider reads into and writes from.</summary>
public sealed class GrainState<TState> : IGrainState<TState>
{
    public GrainState(TState state) => State = state;

    public TState State { get; set; }
    public string? ETag { get; set; }
    public bool RecordExists { get; set; }
}
