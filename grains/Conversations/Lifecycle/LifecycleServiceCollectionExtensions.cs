using Parley.Grains.Encryption;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Parley.Grains.Redis;

namespace Parley.Grains.Conversations.Lifecycle;

public static class LifecycleServiceCollectionExtensions
{
    /// <summary>Options (bound from <see cref="ConversationLifecycleOptions.SectionName"/> when an
    /// <see cref="IConfiguration"/> is registered, then <paramref name="configure"/>; validated at start), the activity
    /// index and the archive (Redis when an <see cref="IRedisConnection"/> is registered, else in memory; chosen when
    /// first resolved, so AddRedis may come before or after this call), and the sweeper as a hosted service (also
    /// resolvable as <see cref="ConversationSweeper"/>).</summary>
    public static IServiceCollection AddConversationLifecycle(this IServiceCollection services, Action<ConversationLifecycleOptions>? configure = null)
    {
        services.AddParleyEncryption();
        var builder = services.AddOptions<ConversationLifecycleOptions>();
        if (!services.Any(d => d.ServiceType == typeof(SectionBound)))
        {
            services.AddSingleton<SectionBound>();
            builder.Configure<IServiceProvider>(static (options, sp) =>
            {
                if (sp.GetService<IConfiguration>() is { } configuration)
                {
                    configuration.GetSection(ConversationLifecycleOptions.SectionName).Bind(options);
                }
            });
        }
        if (configure is not null)
        {
            builder.Configure(configure);
        }
        builder.ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<ConversationLifecycleOptions>, ConversationLifecycleOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);

        services.TryAddSingleton<IConversationActivityIndex>(static sp => sp.GetService<IRedisConnection>() is { } redis
            ? new RedisConversationActivityIndex(redis, sp.GetRequiredService<ILogger<RedisConversationActivityIndex>>())
            : new MemoryConversationActivityIndex(sp.GetRequiredService<TimeProvider>()));
        services.TryAddSingleton<IConversationArchive>(static sp => sp.GetService<IRedisConnection>() is { } redis
            ? new RedisConversationArchive(redis, sp.GetRequiredService<IOptions<ConversationLifecycleOptions>>(), sp.GetRequiredService<Encryption.ContentCipher>())
            : new MemoryConversationArchive(sp.GetRequiredService<IOptions<ConversationLifecycleOptions>>(), sp.GetRequiredService<TimeProvider>()));

        services.TryAddSingleton<ConversationMetrics>();
        services.TryAddSingleton<ConversationSweeper>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, ConversationSweeper>(static sp => sp.GetRequiredService<ConversationSweeper>()));
        return services;
    }

    /// <summary>Marks that the configuration section binding is registered, so repeated calls bind it once.</summary>
    private sealed class SectionBound;
}
