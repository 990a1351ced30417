using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Parley.Grains.Redis;
using Parley.Testing;
using Xunit;

namespace Parley.Silo.Tests.Infrastructure;

/// <summary>How outage tests take Redis away from a silo, and what they wait for after.</summary>
public static class RedisOutage
{
    /// <summary>Takes Redis away from the silo as a crash would: its data saved first, so that <see
    /// cref="RedisServer.RestartAsync"/> brings it back as a Redis with persistence does (Orleans' membership table
    /// included: a silo whose table vanished retries it for about two minutes when it stops); then waits until the
    /// silo has noticed (<see cref="WaitUntilNoticedAsync"/>).</summary>
    public static async Task BeginAsync(RedisServer redis, SiloHarness harness)
    {
        await redis.ExecuteAsync(CancellationToken.None, "SAVE");
        redis.Kill();
        await WaitUntilNoticedAsync(harness);
    }

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
