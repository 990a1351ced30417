using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Parley.Grains.Redis;
using Xunit;

namespace Parley.Silo.Tests.Infrastructure;

/// <summary>What outage tests wait for after killing Redis.</summary>
public static class RedisOutage
{
    /// <summary>Polls (bounded) until the silo's multiplexer has noticed that Redis is gone, as it does on its own when
    /// the socket closes. Until then a command may still be written to the dead connection, and its outcome is unknown
    /// rather than "never sent"; from then on nothing is sent and every failure policy applies at once.</summary>
    public static async Task WaitUntilNoticedAsync(SiloHarness harness)
    {
        var multiplexer = await harness.Services.GetRequiredService<IRedisConnection>().GetMultiplexerAsync();
        var waited = Stopwatch.StartNew();
        while (multiplexer.IsConnected)
        {
            Assert.True(waited.Elapsed < TimeSpan.FromSeconds(30), "The silo did not notice that Redis is gone.");
            await Task.Delay(20);
        }
    }
}
