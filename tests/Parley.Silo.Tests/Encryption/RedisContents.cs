using StackExchange.Redis;

namespace Parley.Silo.Tests.Encryption;

/// <summary>Everything a Redis server holds, read with SCAN and each type's own read command: every key's name and
/// every value of strings, hashes (field names and values), lists, sets, sorted sets (members) and streams (field names
/// and values), as raw bytes.</summary>
internal sealed class RedisContents
{
    private RedisContents(List<(string Key, RedisType Type, List<byte[]> Values)> entries) => Entries = entries;

    public IReadOnlyList<(string Key, RedisType Type, List<byte[]> Values)> Entries { get; }

    public static async Task<RedisContents> ReadAsync(string connectionString)
    {
        await using var connection = await ConnectionMultiplexer.ConnectAsync(connectionString + ",allowAdmin=true");
        var db = connection.GetDatabase();
        var server = connection.GetServers().Single();
        var entries = new List<(string, RedisType, List<byte[]>)>();
        await foreach (var key in server.KeysAsync(pattern: "*", pageSize: 500))
        {
            var type = await db.KeyTypeAsync(key);
            var values = new List<byte[]> { (byte[])key! };
            switch (type)
            {
                case RedisType.String:
                    values.Add((byte[])(await db.StringGetAsync(key))!);
                    break;
                case RedisType.Hash:
                    foreach (var entry in await db.HashGetAllAsync(key))
                    {
                        values.Add((byte[])entry.Name!);
                        values.Add((byte[])entry.Value!);
                    }
                    break;
                case RedisType.List:
                    values.AddRange((await db.ListRangeAsync(key)).Select(v => (byte[])v!));
                    break;
                case RedisType.Set:
                    values.AddRange((await db.SetMembersAsync(key)).Select(v => (byte[])v!));
                    break;
                case RedisType.SortedSet:
                    values.AddRange((await db.SortedSetRangeByRankAsync(key)).Select(v => (byte[])v!));
                    break;
                case RedisType.Stream:
                    foreach (var streamEntry in await db.StreamRangeAsync(key))
                    {
                        foreach (var field in streamEntry.Values)
                        {
                            values.Add((byte[])field.Name!);
                            values.Add((byte[])field.Value!);
                        }
                    }
                    break;
                case RedisType.None:
                    // Expired or deleted between SCAN and TYPE.
                    continue;
                default:
                    throw new InvalidOperationException($"Key '{key}' has type {type}, which this scan cannot read: extend it.");
            }
            entries.Add(((string)key!, type, values));
        }
        return new RedisContents(entries);
    }

    /// <summary>The keys (with their type) in which <paramref name="needle"/>'s UTF-8 bytes occur in a name or a value.</summary>
    public List<string> KeysContaining(string needle)
    {
        var bytes = System.Text.Encoding.UTF8.GetBytes(needle);
        return [.. Entries.Where(e => e.Values.Any(v => v.AsSpan().IndexOf(bytes) >= 0)).Select(e => $"{e.Key} ({e.Type})")];
    }
}
