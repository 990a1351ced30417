using System.Collections.Concurrent;

namespace Parley.Runtime.Storage;

/// <summary>The embedded storage provider: state lives in this process as serialised bytes (so no caller ever shares a
/// mutable object with the store), with the same ETag compare-and-set as the Redis provider.</summary>
internal sealed class MemoryGrainStorage(GrainStateSerializer serializer) : IGrainStorage
{
    private readonly ConcurrentDictionary<(string StateName, GrainId GrainId), Record> _records = new();
    private long _version;

    public Task ReadStateAsync<TState>(string stateName, GrainId grainId, IGrainState<TState> grainState, CancellationToken cancellationToken = default)
    {
        Load(_records.TryGetValue((stateName, grainId), out var record) ? record : null, grainState);
        return Task.CompletedTask;
    }

    public Task<bool> ReadStateIfChangedAsync<TState>(string stateName, GrainId grainId, IGrainState<TState> grainState, CancellationToken cancellationToken = default)
    {
        var record = _records.TryGetValue((stateName, grainId), out var found) ? found : null;
        var unchanged = record is null
            ? !grainState.RecordExists && grainState.ETag is null
            : grainState.RecordExists && record.ETag == grainState.ETag;
        if (unchanged)
        {
            return Task.FromResult(false);
        }
        Load(record, grainState);
        return Task.FromResult(true);
    }

    private void Load<TState>(Record? record, IGrainState<TState> grainState)
    {
        if (record is not null)
        {
            grainState.State = serializer.Deserialize<TState>(record.Data);
            grainState.ETag = record.ETag;
            grainState.RecordExists = true;
        }
        else
        {
            grainState.State = CreateDefault<TState>();
            grainState.ETag = null;
            grainState.RecordExists = false;
        }
    }

    public Task WriteStateAsync<TState>(string stateName, GrainId grainId, IGrainState<TState> grainState, CancellationToken cancellationToken = default)
    {
        var data = serializer.Serialize(grainState.State);
        var etag = NextETag();
        var key = (stateName, grainId);
        var next = new Record(data, etag);
        if (grainState.ETag is null)
        {
            if (!_records.TryAdd(key, next))
            {
                throw Conflict(stateName, grainId, null, _records.TryGetValue(key, out var current) ? current.ETag : null);
            }
        }
        else
        {
            if (!_records.TryGetValue(key, out var current) || current.ETag != grainState.ETag || !_records.TryUpdate(key, next, current))
            {
                throw Conflict(stateName, grainId, grainState.ETag, _records.TryGetValue(key, out var now) ? now.ETag : null);
            }
        }
        grainState.ETag = etag;
        grainState.RecordExists = true;
        return Task.CompletedTask;
    }

    public Task ClearStateAsync<TState>(string stateName, GrainId grainId, IGrainState<TState> grainState, CancellationToken cancellationToken = default)
    {
        var key = (stateName, grainId);
        if (grainState.ETag is null)
        {
            // Clearing a record the caller believes absent succeeds only if it is indeed absent.
            if (_records.TryGetValue(key, out var existing))
            {
                throw Conflict(stateName, grainId, null, existing.ETag);
            }
        }
        else if (!_records.TryGetValue(key, out var current) || current.ETag != grainState.ETag
                 || !_records.TryRemove(new KeyValuePair<(string, GrainId), Record>(key, current)))
        {
            throw Conflict(stateName, grainId, grainState.ETag, _records.TryGetValue(key, out var now) ? now.ETag : null);
        }
        grainState.State = CreateDefault<TState>();
        grainState.ETag = null;
        grainState.RecordExists = false;
        return Task.CompletedTask;
    }

    private string NextETag() => Interlocked.Increment(ref _version).ToString(System.Globalization.CultureInfo.InvariantCulture);

    internal static TState CreateDefault<TState>() => Activator.CreateInstance<TState>();

    private static InconsistentStateException Conflict(string stateName, GrainId grainId, string? expected, string? actual)
        => new($"Write of state '{stateName}' of {grainId} refused: ETag {expected ?? "(none)"} does not match stored {actual ?? "(none)"}.",
            actual, expected);

    private sealed record Record(byte[] Data, string ETag);
}
