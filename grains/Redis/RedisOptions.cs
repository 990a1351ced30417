namespace Parley.Grains.Redis;

public sealed class RedisOptions
{
    public const string SectionName = "Parley:Redis";

    /// <summary>A StackExchange.Redis configuration string, e.g. <c>localhost:6379</c>. Empty means "no Redis":
    /// the silo runs on the embedded in-memory providers.</summary>
    public string? ConnectionString { get; set; }

    /// <summary>Prefix of every key Parley writes, so several clusters can share one Redis.</summary>
    public string KeyPrefix { get; set; } = "parley";
}
