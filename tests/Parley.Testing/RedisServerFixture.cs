using Xunit;

namespace Parley.Testing;

/// <summary>One redis-server per test class (<c>IClassFixture&lt;RedisServerFixture&gt;</c>) or per collection
/// (<c>ICollectionFixture</c>). Tests that share it call <see cref="FlushAsync"/> first (or use distinct keys).</summary>
public sealed class RedisServerFixture : IAsyncLifetime
{
    private RedisServer? _server;

    public RedisServer Server => _server ?? throw new InvalidOperationException("The fixture has not been initialised.");

    public string ConnectionString => Server.ConnectionString;

    public int Port => Server.Port;

    public Task FlushAsync(CancellationToken cancellationToken = default) => Server.FlushAllAsync(cancellationToken);

    public async Task InitializeAsync() => _server = await RedisServer.StartAsync().ConfigureAwait(false);

    public async Task DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync().ConfigureAwait(false);
        }
    }
}
