using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Parley.Grains.Encryption;
using Parley.Grains.Redis;

namespace Parley.Silo.Cache;

public static class ResponseCacheExtensions
{
    /// <summary>The response cache (<c>Parley:Cache</c>): in Redis when the silo has a Redis connection (shared by every
    /// silo), else in memory.</summary>
    public static WebApplicationBuilder AddParleyResponseCache(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<ResponseCacheOptions>()
            .Bind(builder.Configuration.GetSection(ResponseCacheOptions.SectionName))
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<ResponseCacheOptions>, ResponseCacheOptionsValidator>();
        services.TryAddSingleton(TimeProvider.System);
        services.AddParleyEncryption();
        // Resolved when first used, so it does not matter whether the cluster registered Redis before or after this.
        services.TryAddSingleton<IResponseCacheStore>(static sp => sp.GetService<IRedisConnection>() is { } redis
            ? new RedisResponseCacheStore(redis, sp.GetRequiredService<IOptions<RedisOptions>>(), sp.GetRequiredService<ContentCipher>())
            : new MemoryResponseCacheStore(sp.GetRequiredService<IOptions<ResponseCacheOptions>>(), sp.GetRequiredService<TimeProvider>()));
        services.TryAddSingleton<ResponseCache>();
        return builder;
    }
}
