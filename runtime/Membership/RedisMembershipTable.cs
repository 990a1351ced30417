using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Parley.Runtime.Redis;
using StackExchange.Redis;

namespace Parley.Runtime.Membership;

/// <summary>The cluster's membership table in Redis, modelled on Orleans.Clustering.Redis: one hash per cluster with a
/// <c>Version</c> field and one field per silo. Every status change is a Lua compare-and-set on the table version and
/// the row's ETag; heartbeats change only the row's IAmAlive time.</summary>
internal sealed partial class RedisMembershipTable(IRedisConnection connection, string clusterId, ILogger<RedisMembershipTable> logger)
    : IMembershipTable
{
    private readonly RedisKey _key = TableKey(connection, clusterId);

    public static RedisKey TableKey(IRedisConnection connection, string clusterId) => connection.Key("membership:" + clusterId, "table");

    public async Task InitializeMembershipTable(bool tryInitTableVersion, CancellationToken cancellationToken = default)
    {
        if (tryInitTableVersion)
        {
            var db = await DatabaseAsync(cancellationToken).ConfigureAwait(false);
            await Run("initialize", () => db.HashSetAsync(_key, RedisMembershipScripts.VersionField, "0", When.NotExists)).ConfigureAwait(false);
        }
    }

    public async Task<MembershipTableData> ReadAll(CancellationToken cancellationToken = default)
    {
        var db = await DatabaseAsync(cancellationToken).ConfigureAwait(false);
        var entries = await Run("read", () => db.HashGetAllAsync(_key)).ConfigureAwait(false);
        var version = InitialVersion;
        var members = new List<(MembershipEntry, string)>(entries.Length);
        foreach (var entry in entries)
        {
            if (entry.Name == RedisMembershipScripts.VersionField)
            {
                version = ParseVersion(entry.Value);
            }
            else
            {
                var row = ParseRow(entry.Value);
                members.Add((row.Entry, row.ETag));
            }
        }
        members.Sort((a, b) => string.CompareOrdinal(a.Item1.SiloId, b.Item1.SiloId));
        return new MembershipTableData(members, version);
    }

    public async Task<MembershipTableData> ReadRow(string siloId, CancellationToken cancellationToken = default)
    {
        var db = await DatabaseAsync(cancellationToken).ConfigureAwait(false);
        var values = await Run("read", () => db.HashGetAsync(_key, [RedisMembershipScripts.VersionField, siloId])).ConfigureAwait(false);
        var version = values[0].IsNull ? InitialVersion : ParseVersion(values[0]);
        if (values[1].IsNull)
        {
            return new MembershipTableData([], version);
        }
        var row = ParseRow(values[1]);
        return new MembershipTableData([(row.Entry, row.ETag)], version);
    }

    public Task<bool> InsertRow(MembershipEntry entry, TableVersion tableVersion, CancellationToken cancellationToken = default)
        => EvaluateAsync("insert", RedisMembershipScripts.Insert,
            [entry.SiloId, tableVersion.VersionEtag, Format(tableVersion.Version), Serialize(entry)], cancellationToken);

    public Task<bool> UpdateRow(MembershipEntry entry, string etag, TableVersion tableVersion, CancellationToken cancellationToken = default)
        => EvaluateAsync("update", RedisMembershipScripts.Update,
            [entry.SiloId, tableVersion.VersionEtag, Format(tableVersion.Version), Serialize(entry), etag], cancellationToken);

    public async Task UpdateIAmAlive(MembershipEntry entry, CancellationToken cancellationToken = default)
    {
        if (!await EvaluateAsync("heartbeat", RedisMembershipScripts.IAmAlive,
                [entry.SiloId, entry.IAmAliveTime.ToString("O", CultureInfo.InvariantCulture)], cancellationToken).ConfigureAwait(false))
        {
            throw new SiloRowNotFoundException(entry.SiloId);
        }
    }

    public async Task CleanupDefunctSiloEntries(DateTimeOffset beforeDate, CancellationToken cancellationToken = default)
    {
        var db = await DatabaseAsync(cancellationToken).ConfigureAwait(false);
        var entries = await Run("read", () => db.HashGetAllAsync(_key)).ConfigureAwait(false);
        var defunct = new List<RedisValue>();
        foreach (var entry in entries)
        {
            if (entry.Name != RedisMembershipScripts.VersionField
                && ParseRow(entry.Value).Entry is { Status: SiloStatus.Dead } dead && dead.IAmAliveTime < beforeDate)
            {
                defunct.Add(entry.Name);
                defunct.Add(entry.Value);
            }
        }
        if (defunct.Count > 0)
        {
            await Run("cleanup", () => db.ScriptEvaluateAsync(RedisMembershipScripts.DeleteIfUnchanged, [_key], [.. defunct])).ConfigureAwait(false);
        }
    }

    public async Task DeleteMembershipTableEntries(string clusterId, CancellationToken cancellationToken = default)
    {
        var db = await DatabaseAsync(cancellationToken).ConfigureAwait(false);
        await Run("delete", () => db.KeyDeleteAsync(TableKey(connection, clusterId))).ConfigureAwait(false);
    }

    private static readonly TableVersion InitialVersion = new(0, "0");

    private async Task<bool> EvaluateAsync(string operation, string script, RedisValue[] args, CancellationToken cancellationToken)
    {
        var db = await DatabaseAsync(cancellationToken).ConfigureAwait(false);
        var result = await Run(operation, () => db.ScriptEvaluateAsync(script, [_key], args)).ConfigureAwait(false);
        return (long)result == 1;
    }

    private async Task<T> Run<T>(string operation, Func<Task<T>> command)
    {
        try
        {
            return await command().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            LogRedisError(logger, operation, clusterId, ex);
            throw;
        }
    }

    private async ValueTask<IDatabase> DatabaseAsync(CancellationToken cancellationToken)
        => (await connection.GetMultiplexerAsync(cancellationToken).ConfigureAwait(false)).GetDatabase();

    private static string Serialize(MembershipEntry entry)
        => JsonSerializer.Serialize(new MembershipRow(Guid.NewGuid().ToString("N"), entry), MembershipJsonContext.Default.MembershipRow);

    private static MembershipRow ParseRow(RedisValue value)
        => JsonSerializer.Deserialize((string)value!, MembershipJsonContext.Default.MembershipRow)
           ?? throw new JsonException("A membership row deserialised to null.");

    private static TableVersion ParseVersion(RedisValue value)
    {
        var text = (string)value!;
        return new TableVersion(int.Parse(text, CultureInfo.InvariantCulture), text);
    }

    private static string Format(int version) => version.ToString(CultureInfo.InvariantCulture);

    [LoggerMessage(EventId = 1300, Level = LogLevel.Error, Message = "Redis membership table of cluster {ClusterId}: {Operation} failed.")]
    private static partial void LogRedisError(ILogger logger, string operation, string clusterId, Exception exception);
}
