using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Parley.Runtime.Hosting;
using Parley.Runtime.Membership;
using Parley.Runtime.Redis;
using Parley.Testing;

namespace Parley.Runtime.Tests.Membership;

/// <summary>Builds Redis table clients, each with its own connection (as separate silo processes have), over a
/// cluster table that no other test shares.</summary>
internal sealed class RedisTableClients(string connectionString) : IAsyncDisposable
{
    private readonly List<RedisConnection> _connections = [];

    public string Prefix { get; } = "t" + Guid.NewGuid().ToString("N");

    public string ClusterId { get; } = MembershipOptions.DefaultClusterId;

    public RedisConnection NewConnection()
    {
        var connection = new RedisConnection(Options.Create(new RedisOptions { ConnectionString = connectionString, KeyPrefix = Prefix }),
            NullLogger<RedisConnection>.Instance);
        lock (_connections)
        {
            _connections.Add(connection);
        }
        return connection;
    }

    public IMembershipTable NewTable() => new RedisMembershipTable(NewConnection(), ClusterId, NullLogger<RedisMembershipTable>.Instance);

    public async ValueTask DisposeAsync()
    {
        foreach (var connection in _connections)
        {
            await connection.DisposeAsync();
        }
    }
}

public sealed class RedisMembershipTableTests(RedisServerFixture redis) : MembershipTableContractTests, IClassFixture<RedisServerFixture>
{
    private RedisTableClients? _clients;

    protected override Task<IMembershipTable> CreateTableAsync()
    {
        _clients = new RedisTableClients(redis.ConnectionString);
        return Task.FromResult(_clients.NewTable());
    }

    protected override async Task DisposeTableAsync() => await _clients!.DisposeAsync();

    [Fact]
    public async Task The_table_is_one_hash_with_a_version_field_and_one_field_per_silo()
    {
        Assert.True(await Table.InsertRow(Entry("a"), (await Table.ReadAll()).Version.Next()));
        Assert.True(await Table.InsertRow(Entry("b"), (await Table.ReadAll()).Version.Next()));

        var key = _clients!.NewConnection().Key("membership:" + _clients.ClusterId, "table");
        Assert.Equal($"{{{_clients.Prefix}:membership:parley}}:table", key);
        Assert.Equal("hash", await redis.Server.ExecuteAsync(default, "TYPE", key));
        Assert.Equal("3", await redis.Server.ExecuteAsync(default, "HLEN", key));
        Assert.Equal("2", await redis.Server.ExecuteAsync(default, "HGET", key, "Version"));
        Assert.Contains("\"SiloId\":\"a\"", await redis.Server.ExecuteAsync(default, "HGET", key, "a"));
    }
}

public sealed class RedisMembershipAgentTests(RedisServerFixture redis) : MembershipAgentContractTests, IClassFixture<RedisServerFixture>
{
    private readonly RedisTableClients _clients = new(redis.ConnectionString);

    protected override Task<IMembershipTable> CreateTableClientAsync() => Task.FromResult(_clients.NewTable());

    protected override async Task CleanupAsync() => await _clients.DisposeAsync();
}
