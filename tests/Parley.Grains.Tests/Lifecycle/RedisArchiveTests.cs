using Microsoft.Extensions.Options;
using Parley.Grains.Conversations.Lifecycle;
using Parley.Grains.Encryption;
using Parley.Testing;
using StackExchange.Redis;

namespace Parley.Grains.Tests.Lifecycle;

public sealed class RedisArchiveTests(RedisServerFixture redis) : ArchiveContractTests, IClassFixture<RedisServerFixture>
{
    private RedisTestServices? _redis;
    private RedisConversationArchive? _archive;
    private readonly ContentCipher _cipher = ContentCipher.CreateEphemeral();

    protected override async Task<IConversationArchive> CreateArchiveAsync()
    {
        _redis = await RedisTestServices.StartAsync(redis);
        _archive = new RedisConversationArchive(_redis.Connection, Options.Create(new ConversationLifecycleOptions()), _cipher);
        return _archive;
    }

    protected override async Task DisposeArchiveAsync() => await _redis!.DisposeAsync();

    private async Task<long> PttlAsync(string key)
        => long.Parse((await redis.Server.ExecuteAsync(default, "PTTL", key))!, System.Globalization.CultureInfo.InvariantCulture);

    [Fact]
    public async Task A_copy_is_a_sealed_gzip_string_under_the_grains_hash_tag()
    {
        var state = CompressibleState(200);
        await Archive.PutAsync("conv_1", state);

        var key = _archive!.KeyOf("conv_1");
        Assert.Equal($"{{{_redis!.Prefix}:conversation/conv_1}}:archive", key);
        // The grain's state key has the same hash tag, so both live in one slot on Redis Cluster.
        Assert.Equal(_redis.Connection.Key("conversation/conv_1", "state:conversation")[..key.IndexOf('}', StringComparison.Ordinal)],
            key[..key.IndexOf('}', StringComparison.Ordinal)]);
        byte[] stored = (await _redis.Database.StringGetAsync(key))!;
        // Compressed, then sealed for this conversation: nothing of the state in clear, and no other place opens it.
        Assert.True(ContentCipher.IsEnvelope(stored));
        Assert.Equal([0x1f, 0x8b], _cipher.Unprotect(stored, "archive/conv_1")[..2]);
        Assert.Throws<StoredDataUnreadableException>(() => _cipher.Unprotect(stored, "archive/conv_2"));
        Assert.True(stored.Length * 4 < state.Length, $"{stored.Length} compressed bytes for {state.Length}.");
    }

    [Fact]
    public async Task Redis_expires_each_copy_after_the_archive_retention()
    {
        await Archive.PutAsync("c", CompressibleState(1));

        var retention = (long)ConversationLifecycleOptions.DefaultArchiveRetention.TotalMilliseconds;
        // Within a minute of the full retention: set at the put, not at some default.
        Assert.InRange(await PttlAsync(_archive!.KeyOf("c")), retention - 60_000, retention);
        Assert.Equal(0, await Archive.PurgeExpiredAsync());
    }

    [Fact]
    public async Task The_configured_retention_is_used()
    {
        var archive = new RedisConversationArchive(_redis!.Connection, Options.Create(new ConversationLifecycleOptions { ArchiveRetention = TimeSpan.FromHours(2) }), _cipher);
        await archive.PutAsync("c", CompressibleState(1));

        var retention = (long)TimeSpan.FromHours(2).TotalMilliseconds;
        Assert.InRange(await PttlAsync(archive.KeyOf("c")), retention - 60_000, retention);
    }
}
