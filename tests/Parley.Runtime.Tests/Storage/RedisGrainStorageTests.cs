using Microsoft.Extensions.DependencyInjection;
using Parley.Runtime.Hosting;
using Parley.Runtime.Redis;
using Parley.Runtime.Storage;
using Parley.Testing;
using StackExchange.Redis;

namespace Parley.Runtime.Tests.Storage;

public sealed class RedisGrainStorageTests(RedisServerFixture redis) : GrainStorageContractTests, IClassFixture<RedisServerFixture>
{
    private readonly string _prefix = "t" + Guid.NewGuid().ToString("N");
    private ServiceProvider? _services;

    protected override Task<IGrainStorage> CreateStorageAsync()
    {
        // A key prefix per test keeps tests that share the server apart.
        _services = new ServiceCollection()
            .AddLogging()
            .AddRedis(o =>
            {
                o.ConnectionString = redis.ConnectionString;
                o.KeyPrefix = _prefix;
            })
            .AddGrainStateJson(TestJsonContext.Default)
            .AddRedisGrainStorage()
            .BuildServiceProvider();
        return Task.FromResult(_services.GetRequiredKeyedService<IGrainStorage>(GrainStorageNames.Default));
    }

    protected override async Task DisposeStorageAsync() => await _services!.DisposeAsync();

    [Fact]
    public async Task State_lives_in_one_hash_per_grain_and_state_name_under_the_grains_hash_tag()
    {
        var record = new Runtime.Storage.GrainState<CounterState>(new CounterState { Count = 6 });
        await Storage.WriteStateAsync("counter", new GrainId("counter", "k1"), record);

        var key = _services!.GetRequiredService<IRedisConnection>().Key("counter/k1", "state:counter");
        Assert.Equal($"{{{_prefix}:counter/k1}}:state:counter", key);
        Assert.Equal("hash", await redis.Server.ExecuteAsync(default, "TYPE", key));
        Assert.Equal(record.ETag, await redis.Server.ExecuteAsync(default, "HGET", key, "etag"));
        Assert.Equal("""{"Count":6,"Items":[]}""", await redis.Server.ExecuteAsync(default, "HGET", key, "data"));
    }

    [Fact]
    public async Task The_conditional_read_returns_only_the_etag_when_the_caller_holds_it()
    {
        var record = new Runtime.Storage.GrainState<CounterState>(new CounterState { Count = 6 });
        await Storage.WriteStateAsync("counter", new GrainId("counter", "k1"), record);
        var connection = _services!.GetRequiredService<IRedisConnection>();
        var db = (await connection.GetMultiplexerAsync()).GetDatabase();
        RedisKey[] keys = [connection.Key("counter/k1", "state:counter")];

        var unchanged = (RedisResult[])(await db.ScriptEvaluateAsync(RedisGrainStorageScripts.ReadIfChanged, keys, [record.ETag]))!;
        Assert.Equal([record.ETag], unchanged.Select(r => (string?)r));

        var changed = (RedisResult[])(await db.ScriptEvaluateAsync(RedisGrainStorageScripts.ReadIfChanged, keys, ["other"]))!;
        Assert.Equal([record.ETag, """{"Count":6,"Items":[]}"""], changed.Select(r => (string?)r));

        RedisKey[] absent = [connection.Key("counter/none", "state:counter")];
        Assert.Empty((RedisResult[])(await db.ScriptEvaluateAsync(RedisGrainStorageScripts.ReadIfChanged, absent, [""]))!);
    }
}
