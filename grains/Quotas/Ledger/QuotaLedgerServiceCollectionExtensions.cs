using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Parley.Grains.Redis;

namespace Parley.Grains.Quotas.Ledger;

public static class QuotaLedgerServiceCollectionExtensions
{
    /// <summary>Registers <see cref="IQuotaLedger"/>: the Redis ledger when an <see cref="IRedisConnection"/> is
    /// registered, else the memory ledger (chosen when first resolved, so AddRedis may come before or after this call).
    /// <see cref="MemoryQuotaLedger"/> is a singleton of its own too: the in-process fallback of a fail-open policy,
    /// and the very instance served as <see cref="IQuotaLedger"/> when there is no Redis.</summary>
    public static IServiceCollection AddQuotaLedger(this IServiceCollection services)
    {
        services.TryAddSingleton<MemoryQuotaLedger>();
        services.TryAddSingleton<IQuotaLedger>(static sp => sp.GetService<IRedisConnection>() is { } redis
            ? new RedisQuotaLedger(redis)
            : sp.GetRequiredService<MemoryQuotaLedger>());
        return services;
    }
}
