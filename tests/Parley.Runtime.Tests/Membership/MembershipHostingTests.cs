using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Parley.Runtime.Hosting;
using Parley.Runtime.Membership;
using Parley.Testing;

namespace Parley.Runtime.Tests.Membership;

/// <summary>The agent and the reader as hosted services: joining when the host has started, their periodic loops on a
/// manual clock, and leaving when the host stops.</summary>
public sealed class MembershipHostingTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);
    private static readonly MembershipOptions Periods = new();

    private static async Task WaitUntilAsync(IClusterMembership membership, Func<IReadOnlyList<MembershipEntry>, bool> condition)
    {
        using var cts = new CancellationTokenSource(Timeout);
        while (true)
        {
            // Take the change signal before looking, so a change in between is not missed.
            var changed = membership.WaitForChangeAsync(cts.Token);
            if (condition(membership.LiveSilos))
            {
                return;
            }
            await changed;
        }
    }

    private static IHost BuildHost(ManualTimeProvider time, IMembershipTable table, Action<IServiceCollection> configure)
    {
        var builder = new HostApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Services.AddSingleton<TimeProvider>(time);
        builder.Services.AddSingleton(table);
        configure(builder.Services);
        return builder.Build();
    }

    [Fact]
    public async Task Silos_and_readers_follow_the_table_on_their_own_and_a_silent_silo_is_declared_dead()
    {
        var time = new ManualTimeProvider();
        var table = new InMemoryMembershipTable();
        using var silo = BuildHost(time, table, s => s.AddSiloMembership(o => o.AdvertisedAddress = "http://silo-a:8080"));
        using var reader = BuildHost(time, table, s => s.AddMembershipReader());
        await silo.StartAsync();
        await reader.StartAsync();
        var agent = silo.Services.GetRequiredService<IClusterMembership>();
        var self = silo.Services.GetRequiredService<ILocalSiloMembership>();
        var view = reader.Services.GetRequiredService<IClusterMembership>();
        await WaitUntilAsync(agent, live => live.Count == 1);
        Assert.True(self.IsHealthy);
        Assert.Equal("http://silo-a:8080", self.Self!.Address);

        // Another silo joins (directly in the table) and then goes silent.
        var other = new MembershipEntry("silo-b:8080:1", "http://silo-b:8080", SiloStatus.Active, "b", time.GetUtcNow(), time.GetUtcNow());
        Assert.True(await table.InsertRow(other, (await table.ReadAll()).Version.Next()));
        var steps = 0;
        while (view.LiveSilos.Count < 2 || agent.LiveSilos.Count < 2)
        {
            Assert.True(++steps < 3, "the new silo was not seen within one refresh period");
            await time.WaitForActiveTimersAsync(3);
            time.Advance(Periods.RefreshPeriod);
        }

        var joinedAt = other.IAmAliveTime;
        while (agent.LiveSilos.Count > 1 || view.LiveSilos.Count > 1)
        {
            await time.WaitForActiveTimersAsync(3);
            Assert.True(time.GetUtcNow() - joinedAt <= Periods.DeathTimeout + Periods.RefreshPeriod,
                $"the silent silo was still listed at {time.GetUtcNow() - joinedAt}");
            time.Advance(Periods.RefreshPeriod);
        }
        Assert.True(time.GetUtcNow() - joinedAt > Periods.DeathTimeout);
        Assert.Equal([self.Self.SiloId], agent.LiveSilos.Select(s => s.SiloId));
        Assert.True(self.IsHealthy, "the silo's own heartbeats kept it healthy");
        await time.WaitForActiveTimersAsync(3);
        Assert.Equal(SiloStatus.Dead, (await table.ReadRow(other.SiloId)).Members[0].Entry.Status);

        await silo.StopAsync();
        Assert.Equal(SiloStatus.Dead, (await table.ReadRow(self.Self.SiloId)).Members[0].Entry.Status);
        Assert.False(self.IsHealthy);
        time.Advance(Periods.RefreshPeriod);
        await WaitUntilAsync(view, live => live.Count == 0);
        await reader.StopAsync();
    }

    [Fact]
    public async Task A_silo_advertises_the_address_kestrel_listens_on()
    {
        var table = new InMemoryMembershipTable();
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Services.AddSingleton<IMembershipTable>(table);
        builder.Services.AddSiloMembership();
        await using var app = builder.Build();
        await app.StartAsync();
        var membership = app.Services.GetRequiredService<IClusterMembership>();
        await WaitUntilAsync(membership, live => live.Count == 1);

        var listening = new Uri(app.Urls.Single());
        var self = app.Services.GetRequiredService<ILocalSiloMembership>().Self!;
        Assert.Equal($"http://127.0.0.1:{listening.Port}", self.Address);
        Assert.StartsWith($"127.0.0.1:{listening.Port}:", self.SiloId, StringComparison.Ordinal);

        await app.StopAsync();
        Assert.Equal(SiloStatus.Dead, (await table.ReadRow(self.SiloId)).Members[0].Entry.Status);
    }

    [Theory]
    [InlineData("http://0.0.0.0:8080", null, 8080)]
    [InlineData("http://[::]:8081", null, 8081)]
    [InlineData("http://+:80", null, 80)]
    [InlineData("http://localhost:5000", "127.0.0.1", 5000)]
    [InlineData("http://[::1]:5001", "127.0.0.1", 5001)]
    [InlineData("http://10.1.2.3:9000", "10.1.2.3", 9000)]
    public void Wildcard_and_loopback_bindings_become_reachable_hosts(string binding, string? host, int port)
    {
        var uri = SiloAddressResolver.FromBinding(binding);
        Assert.Equal((host ?? Environment.MachineName).ToLowerInvariant(), uri.Host.ToLowerInvariant());
        Assert.Equal(port, uri.Port);
    }
}
