using Microsoft.Extensions.Options;
using Parley.Grains.Encryption;
using Parley.Grains.Redis;
using StackExchange.Redis;

namespace Parley.Grains.Conversations.Lifecycle;

/// <summary>The archive of a cluster: one gzip-compressed string per conversation, under the conversation grain's hash
/// tag (so it shares the slot of the grain's state) and set with the archive retention as its expiry, so Redis
/// deletes it by itself when the retention ends. The compressed copy is sealed by the <see cref="ContentCipher"/> with the
/// conversation as its place (compressed first: ciphertext does not compress).</summary>
public sealed class RedisConversationArchive(IRedisConnection connection, IOptions<ConversationLifecycleOptions> options, ContentCipher cipher)
    : IConversationArchive
{
    /// <summary>The grain type in the runtime's storage keys (<c>{prefix:conversation/&lt;id&gt;}:state:…</c>).</summary>
    public const string GrainTypePrefix = "conversation/";
    public const string ArchiveSuffix = "archive";

    private readonly TimeSpan _retention = options.Value.ArchiveRetention;

    public static string PlaceOf(string conversationId) => "archive/" + conversationId;

    public string KeyOf(string conversationId) => connection.Key(string.Concat(GrainTypePrefix, conversationId), ArchiveSuffix);

    public async Task PutAsync(string conversationId, ReadOnlyMemory<byte> state, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(conversationId);
        var compressed = cipher.Protect(ArchiveCompression.Compress(state.Span), PlaceOf(conversationId));
        var db = await GetDatabaseAsync(cancellationToken).ConfigureAwait(false);
        await db.StringSetAsync(KeyOf(conversationId), compressed, _retention).ConfigureAwait(false);
    }

    public async Task<byte[]?> GetAsync(string conversationId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(conversationId);
        var db = await GetDatabaseAsync(cancellationToken).ConfigureAwait(false);
        var value = await db.StringGetAsync(KeyOf(conversationId)).ConfigureAwait(false);
        return value.IsNull ? null : ArchiveCompression.Decompress(cipher.Unprotect((byte[])value!, PlaceOf(conversationId)));
    }

    public async Task<bool> DeleteAsync(string conversationId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(conversationId);
        var db = await GetDatabaseAsync(cancellationToken).ConfigureAwait(false);
        return await db.KeyDeleteAsync(KeyOf(conversationId)).ConfigureAwait(false);
    }

    /// <summary>Nothing to do: every copy carries its own expiry.</summary>
    public Task<int> PurgeExpiredAsync(CancellationToken cancellationToken = default) => Task.FromResult(0);

    private async ValueTask<IDatabase> GetDatabaseAsync(CancellationToken cancellationToken)
        => (await connection.GetMultiplexerAsync(cancellationToken).ConfigureAwait(false)).GetDatabase();
}
