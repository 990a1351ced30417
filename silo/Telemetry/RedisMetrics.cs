using System.Diagnostics.Metrics;
using Parley.Grains.Redis;

namespace Parley.Silo.Telemetry;

/// <summary>The gauge <c>parley.redis.connected</c> (meter <c>Parley.Redis</c>): 1 while this silo's connection to
/// Redis (quotas, pacing, transcripts, identities, cache) is up, 0 while it is not. Only on silos configured with Redis.</summary>
internal sealed class RedisMetrics : IDisposable
{
    public const string MeterName = "Parley.Redis";
    private readonly Meter _meter;

    public RedisMetrics(IRedisConnection connection, IMeterFactory meterFactory)
    {
        _meter = meterFactory.Create(MeterName);
        _meter.CreateObservableGauge("parley.redis.connected", () =>
        {
            // Connects on first use; until the connection exists (or while it cannot be made) the silo has no Redis.
            var pending = connection.GetMultiplexerAsync();
            return pending.IsCompletedSuccessfully && pending.Result.IsConnected ? 1 : 0;
        }, "{connection}", "1 while the silo's Redis connection is up, else 0");
    }

    public void Dispose() => _meter.Dispose();
}
