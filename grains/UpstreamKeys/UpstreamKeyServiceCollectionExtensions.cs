using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Parley.GrainInterfaces.UpstreamKeys;

using Parley.Grains.Redis;

namespace Parley.Grains.UpstreamKeys;

public static class UpstreamKeyServiceCollectionExtensions
{
    /// <summary>The upstream key grain's store: Redis when an <see cref="IRedisConnection"/> is registered, else
    /// in memory (chosen when first resolved, so AddRedis may come before or after this call). The host may register
    /// its own <see cref="IUpstreamKeyPolicies"/> first.</summary>
    public static IServiceCollection AddUpstreamKeys(this IServiceCollection services)
    {
        services.TryAddSingleton<IUpstreamKeyPolicies, DefaultUpstreamKeyPolicies>();
        services.TryAddSingleton<IUpstreamKeyStore>(static sp => sp.GetService<IRedisConnection>() is { } redis
            ? new RedisUpstreamKeyStore(redis)
            : new MemoryUpstreamKeyStore());
        return services;
    }
}
