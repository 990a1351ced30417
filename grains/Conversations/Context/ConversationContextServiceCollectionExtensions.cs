using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Parley.Grains.Conversations.Context;

public static class ConversationContextServiceCollectionExtensions
{
    /// <summary>The compression settings the conversation grain reads, validated at startup.</summary>
    public static IServiceCollection AddConversationContext(this IServiceCollection services, Action<ConversationContextOptions> configure)
    {
        services.AddOptions<ConversationContextOptions>().Configure(configure).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<ConversationContextOptions>, ConversationContextOptionsValidator>());
        return services;
    }
}
