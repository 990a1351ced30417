using System.Net;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Parley.ClientApi.Configuration;
using Parley.ClientApi.Hosting;
using Parley.ClientApi.Membership;
using Parley.Testing;

namespace Parley.ClientApi.Tests.Membership;

public sealed class SiloMembershipWatcherTests
{
    private readonly FakeMembershipSource _source = new();
    private readonly ManualTimeProvider _time = new();
    private readonly SiloProxyConfigProvider _destinations;
    private readonly SiloMembershipWatcher _watcher;

    public SiloMembershipWatcherTests()
    {
        var options = Options.Create(new FrontEndOptions
        {
            UsesMembership = true,
            SiloHttpPort = 8080,
            MembershipRefreshPeriod = TimeSpan.FromSeconds(1),
            MembershipStaleAfter = TimeSpan.FromSeconds(10),
        });
        _destinations = new SiloProxyConfigProvider(options);
        _watcher = new SiloMembershipWatcher(_source, _destinations, options, _time, NullLogger<SiloMembershipWatcher>.Instance);
    }

    [Fact]
    public async Task Silos_become_destinations_at_their_ip_and_the_http_port_and_yarp_is_told_only_of_changes()
    {
        Assert.Empty(_destinations.Silos);
        _source.Silos = [IPAddress.Parse("10.0.0.2"), IPAddress.Parse("10.0.0.1"), IPAddress.Parse("fd00::5"), IPAddress.Parse("::ffff:10.0.0.3")];
        await _watcher.RefreshAsync(CancellationToken.None);
        var first = _destinations.GetConfig();
        string[] expected = ["http://10.0.0.1:8080", "http://10.0.0.2:8080", "http://10.0.0.3:8080", "http://[fd00::5]:8080"];
        Assert.Equal(expected, _destinations.Silos);
        Assert.Equal(expected, first.Clusters.Single().Destinations!.Values.Select(d => d.Address).Order(StringComparer.Ordinal));

        // The same silos in another order: nothing changes, the change token stays quiet.
        _source.Silos = [.. _source.Silos.Reverse()];
        await _watcher.RefreshAsync(CancellationToken.None);
        Assert.Same(first, _destinations.GetConfig());
        Assert.False(first.ChangeToken.HasChanged);

        _source.Silos = [IPAddress.Parse("10.0.0.1")];
        await _watcher.RefreshAsync(CancellationToken.None);
        Assert.True(first.ChangeToken.HasChanged);
        Assert.Equal(["http://10.0.0.1:8080"], _destinations.Silos);
    }

    [Fact]
    public async Task A_failing_cluster_keeps_the_last_silos_until_they_are_stale_then_forgets_them()
    {
        _source.Silos = [IPAddress.Parse("10.0.0.1")];
        await _watcher.RefreshAsync(CancellationToken.None);

        _source.Failure = new TimeoutException("gateway gone");
        _time.Advance(TimeSpan.FromSeconds(9));
        await _watcher.RefreshAsync(CancellationToken.None);
        Assert.Equal(["http://10.0.0.1:8080"], _destinations.Silos);

        _time.Advance(TimeSpan.FromSeconds(1));
        await _watcher.RefreshAsync(CancellationToken.None);
        Assert.Empty(_destinations.Silos);

        _source.Failure = null;
        await _watcher.RefreshAsync(CancellationToken.None);
        Assert.Equal(["http://10.0.0.1:8080"], _destinations.Silos);
    }

    [Fact]
    public async Task The_watcher_asks_every_refresh_period()
    {
        using var cts = new CancellationTokenSource();
        await _watcher.StartAsync(cts.Token);
        await WaitUntilAsync(() => _source.Calls == 1 && _time.ActiveTimerCount > 0);
        _source.Silos = [IPAddress.Parse("10.0.0.9")];

        _time.Advance(TimeSpan.FromSeconds(1));
        await WaitUntilAsync(() => _destinations.Silos.Count == 1);
        Assert.Equal(2, _source.Calls);

        await _watcher.StopAsync(CancellationToken.None);
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "condition not reached");
            await Task.Delay(10);
        }
    }
}
