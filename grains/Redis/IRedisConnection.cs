using StackExchange.Redis;

namespace Parley.Grains.Redis;

/// <summary>The process's shared Redis connection.</summary>
public interface IRedisConnection
{
    /// <summary>Connects on first use; later calls return the same multiplexer.</summary>
    ValueTask<IConnectionMultiplexer> GetMultiplexerAsync(CancellationToken cancellationToken = default);

    /// <summary>The parsed configuration the multiplexer connects with (Orleans' Redis providers ask for it).</summary>
    ConfigurationOptions Configuration { get; }

    /// <summary>Builds a key under the configured prefix, with <paramref name="hashTag"/> as the hash slot
    /// (<c>{prefix:hashTag}:suffix</c>) so every key of one grain lives in one slot.</summary>
    string Key(string hashTag, string suffix);
}
