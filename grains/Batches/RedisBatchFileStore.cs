using System.Globalization;
using Parley.Grains.Encryption;
using Parley.Grains.Redis;
using StackExchange.Redis;

namespace Parley.Grains.Batches;

/// <summary>Files in Redis: per file a metadata hash and its content as a list of chunks (so no single value nears
/// Redis' 512 MB string limit, and a read streams chunk by chunk out of Redis), both under the file's hash tag; the
/// index of a user's files is a sorted set by creation time. Each chunk is sealed by the <see cref="ContentCipher"/> with
/// the file and the chunk's index as its place, so chunks cannot be reordered or moved between files unnoticed. The
/// metadata (owner, name, purpose, size, times) stays in clear: the listing reads it.</summary>
public sealed class RedisBatchFileStore(IRedisConnection connection, ContentCipher cipher) : IBatchFileStore
{
    public const int ChunkBytes = 1024 * 1024;
    private const int ReadChunksPerCall = 8;

    public async Task SaveAsync(StoredFile file, ReadOnlyMemory<byte> content)
    {
        var db = await DatabaseAsync().ConfigureAwait(false);
        var chunks = new List<RedisValue>();
        for (var offset = 0; offset < content.Length; offset += ChunkBytes)
        {
            chunks.Add(cipher.Protect(content.Span.Slice(offset, Math.Min(ChunkBytes, content.Length - offset)), PlaceOf(file.Id, chunks.Count)));
        }
        var transaction = db.CreateTransaction();
        _ = transaction.KeyDeleteAsync(ContentKey(file.Id));
        if (chunks.Count > 0)
        {
            _ = transaction.ListRightPushAsync(ContentKey(file.Id), [.. chunks]);
        }
        _ = transaction.HashSetAsync(MetaKey(file.Id),
        [
            new("user", file.UserId), new("filename", file.Filename), new("purpose", file.Purpose), new("bytes", file.Bytes),
            new("created_at", file.CreatedAt), new("sequence", file.Sequence),
        ]);
        await transaction.ExecuteAsync().ConfigureAwait(false);
        // Listed once stored: the index names only files whose content is whole.
        await db.SortedSetAddAsync(IndexKey(file.UserId), file.Id, file.Sequence).ConfigureAwait(false);
    }

    public async Task<StoredFile?> GetAsync(string fileId)
    {
        var db = await DatabaseAsync().ConfigureAwait(false);
        return ToFile(fileId, await db.HashGetAllAsync(MetaKey(fileId)).ConfigureAwait(false));
    }

    public async Task<byte[]?> ReadContentAsync(string fileId)
    {
        var db = await DatabaseAsync().ConfigureAwait(false);
        var file = await GetAsync(fileId).ConfigureAwait(false);
        if (file is null)
        {
            return null;
        }
        var content = new byte[file.Bytes];
        var written = 0;
        for (long from = 0; written < content.Length; from += ReadChunksPerCall)
        {
            var chunks = await db.ListRangeAsync(ContentKey(fileId), from, from + ReadChunksPerCall - 1).ConfigureAwait(false);
            if (chunks.Length == 0)
            {
                // Deleted while being read.
                return null;
            }
            for (var i = 0; i < chunks.Length; i++)
            {
                var bytes = cipher.Open(chunks[i], PlaceOf(fileId, from + i)).Span;
                if (written + bytes.Length > content.Length)
                {
                    throw new StoredDataUnreadableException($"The content of file '{fileId}' is longer than its recorded size.");
                }
                bytes.CopyTo(content.AsSpan(written));
                written += bytes.Length;
            }
        }
        return content;
    }

    public async Task<IReadOnlyList<StoredFile>> ListAsync(string userId, string? purpose, string? after, int limit, bool ascending)
    {
        var db = await DatabaseAsync().ConfigureAwait(false);
        var order = ascending ? Order.Ascending : Order.Descending;
        long start = 0;
        if (after is not null)
        {
            if (await db.SortedSetRankAsync(IndexKey(userId), after, order).ConfigureAwait(false) is not { } rank)
            {
                return [];
            }
            start = rank + 1;
        }
        var files = new List<StoredFile>();
        const int Page = 100;
        while (files.Count <= limit)
        {
            var ids = await db.SortedSetRangeByRankAsync(IndexKey(userId), start, start + Page - 1, order).ConfigureAwait(false);
            foreach (var id in ids)
            {
                if (await GetAsync((string)id!).ConfigureAwait(false) is { } file && (purpose is null || file.Purpose == purpose))
                {
                    files.Add(file);
                    if (files.Count > limit)
                    {
                        break;
                    }
                }
            }
            if (ids.Length < Page)
            {
                break;
            }
            start += Page;
        }
        return files;
    }

    public async Task<bool> DeleteAsync(string fileId)
    {
        var db = await DatabaseAsync().ConfigureAwait(false);
        var file = await GetAsync(fileId).ConfigureAwait(false);
        if (file is null)
        {
            return false;
        }
        var deleted = await db.KeyDeleteAsync([MetaKey(fileId), ContentKey(fileId)]).ConfigureAwait(false);
        await db.SortedSetRemoveAsync(IndexKey(file.UserId), fileId).ConfigureAwait(false);
        return deleted > 0;
    }

    private static StoredFile? ToFile(string fileId, HashEntry[] entries)
    {
        if (entries.Length == 0)
        {
            return null;
        }
        var map = entries.ToDictionary(e => (string)e.Name!, e => e.Value);
        return new StoredFile(fileId, (string)map["user"]!, (string)map["filename"]!, (string)map["purpose"]!,
            long.Parse((string)map["bytes"]!, CultureInfo.InvariantCulture), long.Parse((string)map["created_at"]!, CultureInfo.InvariantCulture),
            long.Parse((string)map["sequence"]!, CultureInfo.InvariantCulture));
    }

    /// <summary>The place (associated data) of one chunk of a file's content.</summary>
    public static string PlaceOf(string fileId, long chunk) => string.Create(System.Globalization.CultureInfo.InvariantCulture, $"file/{fileId}/{chunk}");

    private async ValueTask<IDatabase> DatabaseAsync() => (await connection.GetMultiplexerAsync().ConfigureAwait(false)).GetDatabase();

    private RedisKey MetaKey(string fileId) => connection.Key("file/" + fileId, "meta");

    private RedisKey ContentKey(string fileId) => connection.Key("file/" + fileId, "content");

    private RedisKey IndexKey(string userId) => connection.Key("files/" + userId, "index");
}
