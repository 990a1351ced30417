using System.Diagnostics;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Parley.Grains.Redis;
using Parley.Testing;

namespace Parley.Grains.Tests.Redis;

public sealed class RedisConnectionTests
{
    private static RedisConnection Connect(string connectionString, string prefix = "parley")
        => new(Options.Create(new RedisOptions { ConnectionString = connectionString, KeyPrefix = prefix }), NullLogger<RedisConnection>.Instance);

    [Fact]
    public async Task Keys_put_the_prefix_and_hash_tag_in_braces()
    {
        await using var connection = Connect("127.0.0.1:1", "blue");
        Assert.Equal("{blue:user:u1}:quota", connection.Key("user:u1", "quota"));
    }

    [Fact]
    public async Task The_connection_is_made_once_and_survives_redis_being_down_at_start()
    {
        await using var server = await RedisServer.StartAsync();
        server.Kill();
        await using var connection = Connect(server.ConnectionString);

        // Redis is down: getting the multiplexer must not throw, so a silo still starts.
        var multiplexer = await connection.GetMultiplexerAsync();
        Assert.Same(multiplexer, await connection.GetMultiplexerAsync());
        Assert.False(multiplexer.IsConnected);

        await server.RestartAsync();
        // The multiplexer reconnects on its own schedule (about once a second); this clock cannot be driven.
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                await multiplexer.GetDatabase().StringSetAsync("k", "v");
                break;
            }
            catch (Exception ex) when (ex is StackExchange.Redis.RedisException or TimeoutException && deadline.Elapsed < TimeSpan.FromSeconds(30))
            {
                await Task.Delay(200);
            }
        }
        Assert.Equal("v", await server.ExecuteAsync(default, "GET", "k"));
    }
}
