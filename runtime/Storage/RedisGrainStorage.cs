using Microsoft.Extensions.Logging;
using Parley.Runtime.Redis;
using StackExchange.Redis;

namespace Parley.Runtime.Storage;

/// <summary>Grain state in Redis: one hash per (grain, state name) with fields <c>etag</c> and <c>data</c>, under a key
/// whose hash tag is the grain id, so every key of one grain lives in one slot. Writes and clears are Lua scripts that
/// compare the ETag and change the record in one round trip; a new random ETag per write means a record that was
/// cleared and written again never reuses an ETag an old reader may still hold.</summary>
internal sealed partial class RedisGrainStorage(
    string name, IRedisConnection connection, GrainStateSerializer serializer, ILogger<RedisGrainStorage> logger) : IGrainStorage
{
    private static readonly RedisValue[] ReadFields = [RedisGrainStorageScripts.EtagField, RedisGrainStorageScripts.DataField];

    public async Task ReadStateAsync<TState>(string stateName, GrainId grainId, IGrainState<TState> grainState, CancellationToken cancellationToken = default)
    {
        var key = KeyOf(stateName, grainId);
        RedisValue[] values;
        try
        {
            var db = await GetDatabaseAsync(cancellationToken).ConfigureAwait(false);
            values = await db.HashGetAsync(key, ReadFields).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            LogRedisError(logger, "read", stateName, grainId.ToString(), name, ex);
            throw;
        }
        if (values[0].IsNull)
        {
            grainState.State = MemoryGrainStorage.CreateDefault<TState>();
            grainState.ETag = null;
            grainState.RecordExists = false;
            return;
        }
        grainState.State = serializer.Deserialize<TState>((byte[])values[1]!);
        grainState.ETag = values[0];
        grainState.RecordExists = true;
    }

    public async Task<bool> ReadStateIfChangedAsync<TState>(string stateName, GrainId grainId, IGrainState<TState> grainState, CancellationToken cancellationToken = default)
    {
        // A caller that holds no record sends no ETag, so any stored record counts as changed for it.
        var held = grainState.RecordExists ? grainState.ETag ?? string.Empty : string.Empty;
        var result = await EvaluateAsync(RedisGrainStorageScripts.ReadIfChanged, "conditional read", stateName, grainId,
            [held], cancellationToken).ConfigureAwait(false);
        switch (result.Length)
        {
            case 0:
                if (!grainState.RecordExists && grainState.ETag is null)
                {
                    return false;
                }
                grainState.State = MemoryGrainStorage.CreateDefault<TState>();
                grainState.ETag = null;
                grainState.RecordExists = false;
                return true;
            case 1:
                return false;
            default:
                grainState.State = serializer.Deserialize<TState>((byte[])result[1]!);
                grainState.ETag = (string?)result[0];
                grainState.RecordExists = true;
                return true;
        }
    }

    public async Task WriteStateAsync<TState>(string stateName, GrainId grainId, IGrainState<TState> grainState, CancellationToken cancellationToken = default)
    {
        var data = serializer.Serialize(grainState.State);
        var etag = Guid.NewGuid().ToString("N");
        var result = await EvaluateAsync(RedisGrainStorageScripts.Write, "write", stateName, grainId,
            [grainState.ETag ?? string.Empty, etag, data], cancellationToken).ConfigureAwait(false);
        ThrowOnConflict(result, stateName, grainId, grainState.ETag);
        grainState.ETag = etag;
        grainState.RecordExists = true;
    }

    public async Task ClearStateAsync<TState>(string stateName, GrainId grainId, IGrainState<TState> grainState, CancellationToken cancellationToken = default)
    {
        var result = await EvaluateAsync(RedisGrainStorageScripts.Clear, "clear", stateName, grainId,
            [grainState.ETag ?? string.Empty], cancellationToken).ConfigureAwait(false);
        ThrowOnConflict(result, stateName, grainId, grainState.ETag);
        grainState.State = MemoryGrainStorage.CreateDefault<TState>();
        grainState.ETag = null;
        grainState.RecordExists = false;
    }

    private async Task<RedisResult[]> EvaluateAsync(string script, string operation, string stateName, GrainId grainId,
        RedisValue[] args, CancellationToken cancellationToken)
    {
        try
        {
            var db = await GetDatabaseAsync(cancellationToken).ConfigureAwait(false);
            var result = await db.ScriptEvaluateAsync(script, [KeyOf(stateName, grainId)], args).ConfigureAwait(false);
            return (RedisResult[])result!;
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            LogRedisError(logger, operation, stateName, grainId.ToString(), name, ex);
            throw;
        }
    }

    private static void ThrowOnConflict(RedisResult[] result, string stateName, GrainId grainId, string? expected)
    {
        if ((long)result[0] == 1)
        {
            return;
        }
        var stored = result.Length > 1 ? (string?)result[1] : null;
        throw new InconsistentStateException(
            $"Write of state '{stateName}' of {grainId} refused: ETag {expected ?? "(none)"} does not match stored {stored ?? "(none)"}.",
            stored, expected);
    }

    private async ValueTask<IDatabase> GetDatabaseAsync(CancellationToken cancellationToken)
        => (await connection.GetMultiplexerAsync(cancellationToken).ConfigureAwait(false)).GetDatabase();

    private RedisKey KeyOf(string stateName, GrainId grainId)
        => connection.Key(string.Concat(grainId.Type, "/", grainId.Key), string.Concat("state:", stateName));

    [LoggerMessage(EventId = 1200, Level = LogLevel.Error, Message = "Redis grain storage {StorageName}: {Operation} of state {StateName} of {GrainId} failed.")]
    private static partial void LogRedisError(ILogger logger, string operation, string stateName, string grainId, string storageName, Exception exception);
}
