using Microsoft.Extensions.DependencyInjection;
using Parley.GrainInterfaces.Conversations;
using Parley.Grains.Conversations.Context;
using Parley.Grains.Conversations.Lifecycle;
using Parley.Runtime.Hosting;

namespace Parley.Grains.Conversations;

public static class ConversationGrainServiceCollectionExtensions
{
    /// <summary>The conversation grain with its state serialiser, compression settings and lifecycle (activity index,
    /// archive, sweeper). The host adds an <see cref="Summaries.IConversationSummarizer"/>.</summary>
    public static IServiceCollection AddConversationGrain(this IServiceCollection services, TimeSpan? idleTimeout = null,
        Action<ConversationContextOptions>? configureContext = null)
    {
        services.AddGrain<IConversationGrain, ConversationGrain>(idleTimeout);
        services.AddGrainStateJson(ConversationStateJsonContext.Default);
        services.AddConversationContext(configureContext ?? (static _ => { }));
        services.AddConversationLifecycle();
        return services;
    }
}
