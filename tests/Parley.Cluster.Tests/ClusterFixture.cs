using Parley.Cluster.Testing.Infrastructure;

namespace Parley.Cluster.Tests;

/// <summary>One cluster shared by the tests of a class that leave it intact, with one user key.</summary>
public sealed class ClusterFixture : IAsyncLifetime
{
    private TestCluster? _cluster;

    public TestCluster Cluster => _cluster ?? throw new InvalidOperationException("The cluster has not started.");

    public string Key { get; private set; } = "";

    public async Task InitializeAsync()
    {
        _cluster = await TestCluster.StartAsync();
        Key = await _cluster.CreateUserKeyAsync("cluster-user");
    }

    public async Task DisposeAsync()
    {
        if (_cluster is not null)
        {
            await _cluster.DisposeAsync();
        }
    }
}
