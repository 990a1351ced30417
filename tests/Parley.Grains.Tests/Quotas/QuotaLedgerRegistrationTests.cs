using Microsoft.Extensions.DependencyInjection;
using Parley.Grains.Quotas;
using Parley.Grains.Quotas.Ledger;
using Parley.Grains.Redis;

namespace Parley.Grains.Tests.Quotas;

public sealed class QuotaLedgerRegistrationTests
{
    [Fact]
    public void Without_redis_the_ledger_is_the_memory_fallback_itself()
    {
        using var services = new ServiceCollection().AddQuotaLedger().BuildServiceProvider();
        var ledger = services.GetRequiredService<IQuotaLedger>();
        Assert.IsType<MemoryQuotaLedger>(ledger);
        Assert.Same(ledger, services.GetRequiredService<MemoryQuotaLedger>());
    }

    [Fact]
    public async Task With_redis_registered_after_it_the_ledger_is_redis_and_the_memory_fallback_stays_available()
    {
        // The connection is made on first use only, so no server is needed to see which ledger is chosen.
        await using var services = new ServiceCollection()
            .AddLogging()
            .AddQuotaLedger()
            .AddRedis(o => o.ConnectionString = "127.0.0.1:1")
            .BuildServiceProvider();
        Assert.IsType<RedisQuotaLedger>(services.GetRequiredService<IQuotaLedger>());
        Assert.NotNull(services.GetRequiredService<MemoryQuotaLedger>());
    }
}
