using Parley.Grains.Conversations.Transcript;
using Parley.Grains.Tests.Lifecycle;
using Parley.Testing;

namespace Parley.Grains.Tests.Conversations;

public sealed class RedisTranscriptTailTests(RedisServerFixture redis) : TranscriptTailContractTests, IClassFixture<RedisServerFixture>
{
    private RedisTestServices? _redis;

    protected override async Task<ITranscriptStore> CreateStoreAsync()
    {
        _redis = await RedisTestServices.StartAsync(redis);
        // The store appends only under an existing conversation: its grain state key must exist.
        await _redis.Database.HashSetAsync(_redis.Connection.Key(RedisTranscriptStore.HashTag(ConversationId), "state"), "etag", "1");
        return new RedisTranscriptStore(_redis.Connection, Parley.Grains.Encryption.ContentCipher.CreateEphemeral());
    }

    protected override async Task DisposeStoreAsync() => await _redis!.DisposeAsync();
}
