using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Parley.Grains.Conversations.Context;
using Parley.Grains.Conversations.Lifecycle;
using Parley.Grains.Conversations.Transcript;
using Parley.Grains.Encryption;
using Parley.Grains.Redis;

namespace Parley.Grains.Conversations;

public static class ConversationGrainServiceCollectionExtensions
{
    /// <summary>What the conversation grain needs beside Orleans: its transcript store (Redis when an
    /// <see cref="IRedisConnection"/> is registered, else memory; chosen when first resolved), compression settings and
    /// lifecycle (activity index, archive, sweeper). The host adds an <see cref="Summaries.IConversationSummarizer"/>.</summary>
    public static IServiceCollection AddConversationGrain(this IServiceCollection services, Action<ConversationContextOptions>? configureContext = null)
    {
        services.AddParleyEncryption();
        services.TryAddSingleton<ITranscriptStore>(static sp => sp.GetService<IRedisConnection>() is { } redis
            ? new RedisTranscriptStore(redis, sp.GetRequiredService<ContentCipher>())
            : new MemoryTranscriptStore());
        services.TryAddSingleton<Summaries.ConversationSummaryRunner>();
        services.TryAddSingleton<ConversationMetrics>();
        services.AddConversationContext(configureContext ?? (static _ => { }));
        services.AddConversationLifecycle();
        return services;
    }
}
