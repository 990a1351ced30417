using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Parley.Grains.Redis;
using StackExchange.Redis;

namespace Parley.Silo.Auth.Sessions;

/// <summary>The keys that protect session cookies and sign-in forms. With Redis they are the cluster's, in Redis; the
/// first silo creates the one key under a short Redis lock before any silo uses it, because ASP.NET Core would
/// otherwise let silos that start together each create their own, and a cookie from one would be refused by another
/// until their key rings refresh (a day later). Without Redis (a cluster of one) they live in memory: sessions end
/// when the silo stops.</summary>
internal static class DataProtectionKeys
{
    public const string HashTag = "data-protection";
    private const string ApplicationName = "parley-silo";

    /// <summary>Call before anything else adds data protection (authentication, antiforgery), so that the key is made
    /// before ASP.NET Core's own start-up service loads the key ring.</summary>
    public static IServiceCollection AddParleyDataProtection(this IServiceCollection services, IConfiguration configuration)
    {
        if (configuration.HasRedis())
        {
            services.AddHostedService<ClusterKeyBootstrap>();
            services.AddDataProtection().SetApplicationName(ApplicationName);
            services.AddOptions<KeyManagementOptions>().Configure<IRedisConnection>(static (options, connection) =>
                options.XmlRepository = new RedisXmlRepository(connection));
        }
        else
        {
            services.AddDataProtection().SetApplicationName(ApplicationName).UseEphemeralDataProtectionProvider();
        }
        return services;
    }

    private sealed class ClusterKeyBootstrap(IKeyManager keys, IRedisConnection connection, TimeProvider time, ILogger<ClusterKeyBootstrap> logger)
        : IHostedService
    {
        private static readonly TimeSpan LockTime = TimeSpan.FromSeconds(10);
        private static readonly TimeSpan LockPoll = TimeSpan.FromMilliseconds(50);
        private static readonly TimeSpan NewKeyLifetime = TimeSpan.FromDays(90);

        public async Task StartAsync(CancellationToken cancellationToken)
        {
            try
            {
                var database = (await connection.GetMultiplexerAsync(cancellationToken)).GetDatabase();
                var lockKey = (RedisKey)connection.Key(HashTag, "bootstrap-lock");
                var owner = (RedisValue)Guid.NewGuid().ToString("N");
                var deadline = time.GetUtcNow() + LockTime;
                while (!await database.StringSetAsync(lockKey, owner, LockTime, When.NotExists))
                {
                    if (time.GetUtcNow() > deadline)
                    {
                        // Another silo died holding it; the lock expires by itself. Go on: at worst a second key.
                        break;
                    }
                    await Task.Delay(LockPoll, time, cancellationToken);
                }
                try
                {
                    var now = time.GetUtcNow();
                    if (!keys.GetAllKeys().Any(k => !k.IsRevoked && k.ActivationDate <= now && k.ExpirationDate > now))
                    {
                        var key = keys.CreateNewKey(now, now + NewKeyLifetime);
                        AdminSessionLog.KeyRingCreated(logger, key.KeyId);
                    }
                }
                finally
                {
                    await database.LockReleaseAsync(lockKey, owner);
                }
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                AdminSessionLog.KeyRingBootstrapFailed(logger, ex);
            }
        }

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
