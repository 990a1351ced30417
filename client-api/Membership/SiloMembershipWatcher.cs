using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Parley.ClientApi.Configuration;
using Parley.ClientApi.Hosting;

namespace Parley.ClientApi.Membership;

/// <summary>Asks the cluster for its active silos every <see cref="FrontEndOptions.MembershipRefreshPeriod"/> and
/// hands their HTTP addresses to YARP (which only rebuilds when the set changed). A failed query keeps the last
/// known silos — their health probes keep running — until failures have lasted
/// <see cref="FrontEndOptions.MembershipStaleAfter"/>; then the silos are forgotten and the front end answers 503.</summary>
internal sealed class SiloMembershipWatcher(
    ISiloMembershipSource source,
    SiloProxyConfigProvider destinations,
    IOptions<FrontEndOptions> options,
    TimeProvider timeProvider,
    ILogger<SiloMembershipWatcher> logger) : BackgroundService
{
    private readonly FrontEndOptions _options = options.Value;
    private long _lastAnswer = timeProvider.GetTimestamp();
    private bool _failing;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(_options.MembershipRefreshPeriod, timeProvider);
        try
        {
            do
            {
                await RefreshAsync(stoppingToken);
            }
            while (await timer.WaitForNextTickAsync(stoppingToken));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    /// <summary>One round: ask, then update the destinations (or count the failure).</summary>
    internal async Task RefreshAsync(CancellationToken cancellationToken)
    {
        IReadOnlyCollection<System.Net.IPAddress> addresses;
        try
        {
            addresses = await source.GetActiveSiloAddressesAsync(cancellationToken);
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            OnFailure(ex);
            return;
        }
        _lastAnswer = timeProvider.GetTimestamp();
        if (_failing)
        {
            _failing = false;
            MembershipLog.QueryRecovered(logger);
        }
        var urls = new string[addresses.Count];
        var i = 0;
        foreach (var address in addresses)
        {
            urls[i++] = SiloAddresses.BaseUrl(address, _options.SiloHttpPort);
        }
        Apply(urls);
    }

    private void OnFailure(Exception ex)
    {
        if (!_failing)
        {
            _failing = true;
            MembershipLog.QueryFailed(logger, _options.MembershipStaleAfter, ex);
        }
        if (timeProvider.GetElapsedTime(_lastAnswer) >= _options.MembershipStaleAfter && destinations.Silos.Count > 0)
        {
            MembershipLog.MembershipStale(logger, _options.MembershipStaleAfter);
            Apply([]);
        }
    }

    private void Apply(string[] urls)
    {
        if (destinations.Update(urls))
        {
            MembershipLog.SilosChanged(logger, destinations.Silos.Count == 0 ? "none" : string.Join(", ", destinations.Silos));
        }
    }
}
