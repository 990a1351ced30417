using Parley.Grains.Encryption;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Parley.Grains.Redis;

namespace Parley.Grains.Batches;

public static class BatchServiceCollectionExtensions
{
    /// <summary>What the batch grain needs beside Orleans and a reminder service: its file and progress stores (Redis when
    /// an <see cref="IRedisConnection"/> is registered, else memory) and options. The host adds the
    /// <see cref="IBatchLineExecutor"/>.</summary>
    public static IServiceCollection AddBatchGrain(this IServiceCollection services, Action<BatchOptions>? configure = null)
    {
        var builder = services.AddOptions<BatchOptions>();
        if (configure is not null)
        {
            builder.Configure(configure);
        }
        builder.ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<BatchOptions>, BatchOptionsValidator>());
        services.AddParleyEncryption();
        services.TryAddSingleton<IBatchFileStore>(static sp => sp.GetService<IRedisConnection>() is { } redis
            ? new RedisBatchFileStore(redis, sp.GetRequiredService<Encryption.ContentCipher>())
            : new MemoryBatchFileStore());
        services.TryAddSingleton<IBatchProgressStore>(static sp => sp.GetService<IRedisConnection>() is { } redis
            ? new RedisBatchProgressStore(redis, sp.GetRequiredService<Encryption.ContentCipher>())
            : new MemoryBatchProgressStore());
        return services;
    }
}
