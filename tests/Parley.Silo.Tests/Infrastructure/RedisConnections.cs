using Microsoft.Extensions.DependencyInjection;
using Parley.Grains.Redis;

namespace Parley.Silo.Tests.Infrastructure;

/// <summary>A silo's Redis connection (its own multiplexer) in its own service provider, for tests that drive the stores
/// without a silo. Connections under one <c>prefix</c> are silos of one cluster; without one, a fresh prefix keeps the
/// test's keys apart from other tests on the same server.</summary>
internal static class RedisConnections
{
    public static ServiceProvider Connect(string connectionString, string? prefix = null) => new ServiceCollection()
        .AddLogging()
        .AddRedis(o =>
        {
            o.ConnectionString = connectionString;
            o.KeyPrefix = prefix ?? "t" + Guid.NewGuid().ToString("N");
        })
        .BuildServiceProvider();
}
