using Microsoft.Extensions.DependencyInjection;
using Parley.Runtime.Hosting;
using Parley.Testing;

namespace Parley.Runtime.Tests.Grains;

public sealed class RedisGrainStateTests(RedisServerFixture redis) : IClassFixture<RedisServerFixture>
{
    [Fact]
    public async Task A_reactivated_grain_reads_the_state_its_previous_activation_wrote_to_redis()
    {
        var prefix = "t" + Guid.NewGuid().ToString("N");
        await using var host = await GrainHost.StartAsync(s => s
            .AddRedis(o =>
            {
                o.ConnectionString = redis.ConnectionString;
                o.KeyPrefix = prefix;
            })
            .AddRedisGrainStorage());
        var grain = host.Factory.GetGrain<ICounterGrain>("r1");
        await grain.IncrementAsync();
        await grain.IncrementAsync();
        var first = await grain.GetInstanceAsync();

        await grain.RequestDeactivationAsync();

        Assert.Equal(2, await grain.GetAsync());
        Assert.NotEqual(first, await grain.GetInstanceAsync());
        Assert.Equal("""{"Count":2,"Items":[]}""",
            await redis.Server.ExecuteAsync(default, "HGET", $"{{{prefix}:counter/r1}}:state:counter", "data"));
    }
}
