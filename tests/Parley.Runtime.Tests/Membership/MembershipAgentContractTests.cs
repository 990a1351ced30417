using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Parley.Runtime.Hosting;
using Parley.Runtime.Membership;
using Parley.Testing;

namespace Parley.Runtime.Tests.Membership;

/// <summary>Silo agents over one shared table, run against every table implementation. Time is a
/// <see cref="ManualTimeProvider"/>; the agents' periodic work is invoked step by step so each scenario is exact.</summary>
public abstract class MembershipAgentContractTests : IAsyncLifetime
{
    private readonly List<MembershipAgent> _agents = [];
    private readonly ServiceProvider _emptyServices = new ServiceCollection().BuildServiceProvider();

    protected ManualTimeProvider Time { get; } = new();

    protected MembershipOptions Options { get; } = new()
    {
        IAmAlivePeriod = TimeSpan.FromSeconds(5),
        DeathTimeout = TimeSpan.FromSeconds(20),
        RefreshPeriod = TimeSpan.FromSeconds(2),
    };

    /// <summary>A table client as one silo process would have it (its own connection), over the test's shared table.</summary>
    protected abstract Task<IMembershipTable> CreateTableClientAsync();

    protected virtual Task CleanupAsync() => Task.CompletedTask;

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var agent in _agents)
        {
            await agent.DisposeAsync();
        }
        await _emptyServices.DisposeAsync();
        await CleanupAsync();
    }

    private async Task<MembershipAgent> NewAgentAsync()
    {
        var agent = new MembershipAgent(await CreateTableClientAsync(), Microsoft.Extensions.Options.Options.Create(Options), Time,
            _emptyServices, NullLogger<MembershipAgent>.Instance);
        _agents.Add(agent);
        return agent;
    }

    private static Uri Address(int i) => new($"http://silo{i}:8080");

    [Fact]
    public async Task Twenty_silos_joining_at_once_converge_on_one_table()
    {
        var agents = new List<MembershipAgent>();
        for (var i = 0; i < 20; i++)
        {
            agents.Add(await NewAgentAsync());
        }

        var start = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var joins = agents.Select((a, i) => Task.Run(async () =>
        {
            await start.Task;
            await a.JoinAsync(Address(i), CancellationToken.None);
        })).ToList();
        start.SetResult();
        await Task.WhenAll(joins).WaitAsync(TimeSpan.FromSeconds(60));

        var table = await (await CreateTableClientAsync()).ReadAll();
        Assert.Equal(20, table.Members.Count);
        Assert.All(table.Members, m => Assert.Equal(SiloStatus.Active, m.Entry.Status));
        Assert.Equal(agents.Select(a => a.Self!.SiloId).Order(StringComparer.Ordinal), table.Members.Select(m => m.Entry.SiloId));
        // Each silo made exactly two status changes (Joining, Active), and each bumped the version once.
        Assert.Equal(40, table.Version.Version);

        await Task.WhenAll(agents.Select(a => a.RefreshAsync(CancellationToken.None)));
        foreach (var agent in agents)
        {
            Assert.Equal(table.Members.Select(m => m.Entry.SiloId), agent.LiveSilos.Select(s => s.SiloId));
            Assert.True(agent.IsHealthy);
        }
    }

    [Fact]
    public async Task A_joined_silo_is_active_with_its_address_and_an_id_of_host_port_and_start()
    {
        var agent = await NewAgentAsync();
        Assert.False(agent.IsHealthy);

        await agent.JoinAsync(Address(1), CancellationToken.None);
        await agent.RefreshAsync(CancellationToken.None);

        var self = agent.Self!;
        Assert.Equal($"silo1:8080:{Time.GetUtcNow().UtcTicks}", self.SiloId);
        Assert.Equal("http://silo1:8080", self.Address);
        Assert.Equal(SiloStatus.Active, self.Status);
        Assert.Equal(Time.GetUtcNow(), self.StartTime);
        Assert.Equal([self.SiloId], agent.LiveSilos.Select(s => s.SiloId));
        Assert.True(agent.IsHealthy);
    }

    [Fact]
    public async Task A_silo_that_stops_renewing_drops_out_of_the_live_silos_and_is_marked_dead()
    {
        var alive = await NewAgentAsync();
        var crashed = await NewAgentAsync();
        await alive.JoinAsync(Address(1), CancellationToken.None);
        await crashed.JoinAsync(Address(2), CancellationToken.None);
        await alive.RefreshAsync(CancellationToken.None);
        Assert.Equal(2, alive.LiveSilos.Count);

        var changed = alive.WaitForChangeAsync(CancellationToken.None);
        Time.Advance(Options.DeathTimeout - TimeSpan.FromSeconds(1));
        await alive.HeartbeatAsync(CancellationToken.None);
        await alive.RefreshAsync(CancellationToken.None);
        Assert.Equal(2, alive.LiveSilos.Count);
        Assert.False(changed.IsCompleted);

        Time.Advance(TimeSpan.FromSeconds(2));
        await alive.HeartbeatAsync(CancellationToken.None);
        await alive.RefreshAsync(CancellationToken.None);

        await changed.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.Equal([alive.Self!.SiloId], alive.LiveSilos.Select(s => s.SiloId));
        Assert.True(alive.IsHealthy);
        Assert.False(crashed.IsHealthy);
        var table = await (await CreateTableClientAsync()).ReadAll();
        Assert.Equal(SiloStatus.Dead, table.Members.Single(m => m.Entry.SiloId == crashed.Self!.SiloId).Entry.Status);
        Assert.Equal(5, table.Version.Version);

        // Declaring it dead again is not a change.
        await alive.RefreshAsync(CancellationToken.None);
        Assert.Equal(5, (await (await CreateTableClientAsync()).ReadAll()).Version.Version);
    }

    [Fact]
    public async Task A_silo_that_cannot_renew_its_own_row_judges_no_one()
    {
        var a = await NewAgentAsync();
        var b = await NewAgentAsync();
        await a.JoinAsync(Address(1), CancellationToken.None);
        await b.JoinAsync(Address(2), CancellationToken.None);

        // Neither renewed: a is itself stale, so it must not declare b dead.
        Time.Advance(Options.DeathTimeout + TimeSpan.FromSeconds(1));
        await a.RefreshAsync(CancellationToken.None);

        Assert.False(a.IsHealthy);
        Assert.Empty(a.LiveSilos);
        var table = await (await CreateTableClientAsync()).ReadAll();
        Assert.All(table.Members, m => Assert.Equal(SiloStatus.Active, m.Entry.Status));
    }

    [Fact]
    public async Task A_leaving_silo_is_shutting_down_then_dead_and_others_stop_listing_it()
    {
        var staying = await NewAgentAsync();
        var leaving = await NewAgentAsync();
        await staying.JoinAsync(Address(1), CancellationToken.None);
        await leaving.JoinAsync(Address(2), CancellationToken.None);

        await leaving.StoppingAsync(CancellationToken.None);
        var row = await (await CreateTableClientAsync()).ReadRow(leaving.Self!.SiloId);
        Assert.Equal(SiloStatus.ShuttingDown, row.Members[0].Entry.Status);
        await staying.RefreshAsync(CancellationToken.None);
        Assert.Equal([staying.Self!.SiloId], staying.LiveSilos.Select(s => s.SiloId));

        await leaving.StoppedAsync(CancellationToken.None);
        row = await (await CreateTableClientAsync()).ReadRow(leaving.Self!.SiloId);
        Assert.Equal(SiloStatus.Dead, row.Members[0].Entry.Status);
        Assert.False(leaving.IsHealthy);
        Assert.Equal(6, row.Version.Version);
    }

    [Fact]
    public async Task A_silo_whose_row_disappeared_joins_again_on_its_next_heartbeat()
    {
        var agent = await NewAgentAsync();
        await agent.JoinAsync(Address(1), CancellationToken.None);
        var client = await CreateTableClientAsync();
        await client.DeleteMembershipTableEntries(Options.ClusterId);

        Time.Advance(Options.IAmAlivePeriod);
        await agent.HeartbeatAsync(CancellationToken.None);

        var row = await client.ReadRow(agent.Self!.SiloId);
        Assert.Equal(SiloStatus.Active, Assert.Single(row.Members).Entry.Status);
        Assert.Equal(Time.GetUtcNow(), row.Members[0].Entry.IAmAliveTime);
    }

    [Fact]
    public async Task A_silo_declared_dead_while_alive_revives_its_row()
    {
        var agent = await NewAgentAsync();
        await agent.JoinAsync(Address(1), CancellationToken.None);
        var client = await CreateTableClientAsync();
        var row = await client.ReadRow(agent.Self!.SiloId);
        Assert.True(await client.UpdateRow(row.Members[0].Entry with { Status = SiloStatus.Dead }, row.Members[0].ETag, row.Version.Next()));

        await agent.RefreshAsync(CancellationToken.None);

        row = await client.ReadRow(agent.Self!.SiloId);
        Assert.Equal(SiloStatus.Active, row.Members[0].Entry.Status);
        await agent.RefreshAsync(CancellationToken.None);
        Assert.Equal([agent.Self.SiloId], agent.LiveSilos.Select(s => s.SiloId));
    }
}

public sealed class InMemoryMembershipAgentTests : MembershipAgentContractTests
{
    private readonly InMemoryMembershipTable _table = new();

    protected override Task<IMembershipTable> CreateTableClientAsync() => Task.FromResult<IMembershipTable>(_table);
}
