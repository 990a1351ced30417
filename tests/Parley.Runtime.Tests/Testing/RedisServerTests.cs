using Parley.Testing;

namespace Parley.Runtime.Tests.Testing;

public sealed class RedisServerTests
{
    [Fact]
    public async Task Starts_on_a_loopback_port_answers_commands_and_is_gone_after_dispose()
    {
        var server = await RedisServer.StartAsync();
        try
        {
            Assert.Equal($"127.0.0.1:{server.Port}", server.ConnectionString);
            Assert.Equal("OK", await server.ExecuteAsync(default, "SET", "k", "v"));
            Assert.Equal("v", await server.ExecuteAsync(default, "GET", "k"));
            await server.FlushAllAsync();
            Assert.Null(await server.ExecuteAsync(default, "GET", "k"));
            Assert.Equal("0", await server.ExecuteAsync(default, "DBSIZE"));
        }
        finally
        {
            await server.DisposeAsync();
        }
        Assert.False(server.IsRunning);
        await Assert.ThrowsAnyAsync<Exception>(() => server.ExecuteAsync(default, "PING"));
    }
}
