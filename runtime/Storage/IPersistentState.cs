namespace Parley.Runtime;

/// <summary>A grain's persistent state, shaped after Orleans' <c>IPersistentState&lt;T&gt;</c>.
/// <see cref="WriteStateAsync"/> is a compare-and-set on <see cref="Etag"/>: if another writer stored a newer
/// value since this one was read, it throws <see cref="InconsistentStateException"/> and stores nothing.</summary>
public interface IPersistentState<TState> where TState : class, new()
{
    TState State { get; set; }
    string? Etag { get; }
    bool RecordExists { get; }
    Task ReadStateAsync(CancellationToken cancellationToken = default);

    /// <summary>Re-reads the state only if the stored record changed since the last read or write (another silo wrote
    /// or cleared it); when it did not, <see cref="State"/> keeps the very same object and nothing is deserialised.
    /// Returns true if it re-read.</summary>
    Task<bool> RefreshStateAsync(CancellationToken cancellationToken = default);
    Task WriteStateAsync(CancellationToken cancellationToken = default);
    Task ClearStateAsync(CancellationToken cancellationToken = default);
}

/// <summary>Binds a grain constructor parameter of type <see cref="IPersistentState{TState}"/> to a named state
/// in a named storage provider.</summary>
[AttributeUsage(AttributeTargets.Parameter)]
public sealed class PersistentStateAttribute(string stateName, string? storageName = null) : Attribute
{
    public string StateName { get; } = stateName;
    public string StorageName { get; } = storageName ?? GrainStorageNames.Default;
}

public static class GrainStorageNames
{
    public const string Default = "Default";
}
