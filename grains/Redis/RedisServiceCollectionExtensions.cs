using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Parley.Grains.Redis;

public static class RedisServiceCollectionExtensions
{
    /// <summary>One shared <c>ConnectionMultiplexer</c> for the process, exposed as <see cref="IRedisConnection"/>: Parley's
    /// own scripts and Orleans' Redis clustering and grain storage all use it. Options are bound from
    /// <see cref="RedisOptions.SectionName"/> (when an <see cref="IConfiguration"/> is registered), then
    /// <paramref name="configure"/>, and validated at start.</summary>
    public static IServiceCollection AddRedis(this IServiceCollection services, Action<RedisOptions>? configure = null)
    {
        var builder = services.AddOptions<RedisOptions>();
        if (!services.Any(d => d.ServiceType == typeof(SectionBound)))
        {
            services.AddSingleton<SectionBound>();
            builder.Configure<IServiceProvider>(static (options, sp) =>
            {
                if (sp.GetService<IConfiguration>() is { } configuration)
                {
                    configuration.GetSection(RedisOptions.SectionName).Bind(options);
                }
            });
        }
        if (configure is not null)
        {
            builder.Configure(configure);
        }
        builder.ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<RedisOptions>, RedisOptionsValidator>());
        services.TryAddSingleton<RedisConnection>();
        services.TryAddSingleton<IRedisConnection>(static sp => sp.GetRequiredService<RedisConnection>());
        return services;
    }

    /// <summary>Whether <paramref name="configuration"/> names a Redis: the switch between the embedded in-memory
    /// providers and the cluster's Redis ones.</summary>
    public static bool HasRedis(this IConfiguration configuration)
        => !string.IsNullOrWhiteSpace(configuration[$"{RedisOptions.SectionName}:{nameof(RedisOptions.ConnectionString)}"]);

    /// <summary>Marks that the configuration section binding is registered, so repeated calls bind it once.</summary>
    private sealed class SectionBound;
}
