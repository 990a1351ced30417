using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans;
using Orleans.Configuration;
using Orleans.Runtime;
using Parley.ClientApi.Hosting;

namespace Parley.ClientApi.Membership;

/// <summary>The Orleans cluster's own membership, asked through an Orleans client with
/// <see cref="IManagementGrain.GetHosts"/>: no second membership table. The client finds the gateways in the same
/// Redis clustering table the silos write (same connection string, cluster and service id), connects in the
/// background — retrying until a silo is up, so the front end starts (and answers 503) before the cluster does —
/// and, once connected, moves to another gateway by itself when the one it used dies.</summary>
internal sealed class OrleansMembershipSource : ISiloMembershipSource, IHostedService, IAsyncDisposable
{
    private readonly FrontEndOptions _options;
    private readonly FrontEndClusterOptions _cluster;
    private readonly string _redisConnectionString;
    private readonly ILoggerFactory _loggerFactory;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stopping = new();
    private ServiceProvider? _services;
    private Task _connecting = Task.CompletedTask;
    private IClusterClient? _client;
    private bool _waitLogged;

    public OrleansMembershipSource(
        IOptions<FrontEndOptions> options,
        IOptions<FrontEndClusterOptions> cluster,
        IOptions<FrontEndRedisOptions> redis,
        ILoggerFactory loggerFactory,
        TimeProvider timeProvider)
    {
        _options = options.Value;
        _cluster = cluster.Value;
        _redisConnectionString = redis.Value.ConnectionString;
        _loggerFactory = loggerFactory;
        _timeProvider = timeProvider;
        _logger = loggerFactory.CreateLogger<OrleansMembershipSource>();
    }

    public async Task<IReadOnlyCollection<IPAddress>> GetActiveSiloAddressesAsync(CancellationToken cancellationToken)
    {
        if (Volatile.Read(ref _client) is not { } client)
        {
            return [];
        }
        // A stateless worker: it answers from the gateway silo's own membership view, so it is there as long as
        // any gateway is.
        var hosts = await client.GetGrain<IManagementGrain>(0).GetHosts(onlyActive: true).WaitAsync(cancellationToken);
        var addresses = new List<IPAddress>(hosts.Count);
        foreach (var silo in hosts.Keys)
        {
            addresses.Add(silo.Endpoint.Address);
        }
        return addresses;
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _connecting = ConnectAsync(_stopping.Token);
        return Task.CompletedTask;
    }

    private async Task ConnectAsync(CancellationToken cancellationToken)
    {
        // Off the host's start: connecting waits for the first silo, however long that takes.
        await Task.Yield();
        try
        {
            var services = BuildClientServices();
            _services = services;
            foreach (var hosted in services.GetServices<IHostedService>())
            {
                await hosted.StartAsync(cancellationToken);
            }
            Volatile.Write(ref _client, services.GetRequiredService<IClusterClient>());
            MembershipLog.Connected(_logger, _cluster.ClusterId);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
        catch (Exception ex)
        {
            MembershipLog.ConnectFailed(_logger, _cluster.ClusterId, ex);
        }
    }

    private ServiceProvider BuildClientServices()
    {
        var services = new ServiceCollection();
        // Orleans logs through the front end's logging (its providers and filters), which this container does not own.
        services.AddSingleton(_loggerFactory);
        services.AddSingleton(typeof(ILogger<>), typeof(Logger<>));
        services.AddSingleton(_timeProvider);
        services.AddOrleansClient(client => client
            .UseRedisClustering(_redisConnectionString)
            .Configure<ClusterOptions>(o =>
            {
                o.ClusterId = _cluster.ClusterId;
                o.ServiceId = _cluster.ServiceId;
            })
            .Configure<GatewayOptions>(o => o.GatewayListRefreshPeriod = _options.GatewayListRefreshPeriod)
            .Configure<ClientMessagingOptions>(o => o.ResponseTimeout = _options.MembershipCallTimeout)
            .UseConnectionRetryFilter(WaitForGatewayAsync));
        return services.BuildServiceProvider();
    }

    // Orleans' default filter gives up after 15 tries; the front end waits for the cluster as long as it runs.
    private async Task<bool> WaitForGatewayAsync(Exception exception, CancellationToken cancellationToken)
    {
        if (!_waitLogged)
        {
            _waitLogged = true;
            MembershipLog.WaitingForGateway(_logger, _cluster.ClusterId, exception.Message, _options.MembershipRefreshPeriod);
        }
        await Task.Delay(_options.MembershipRefreshPeriod, _timeProvider, cancellationToken);
        return true;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _stopping.CancelAsync();
        await _connecting;
        Volatile.Write(ref _client, null);
        if (_services is { } services)
        {
            foreach (var hosted in services.GetServices<IHostedService>().Reverse())
            {
                try
                {
                    await hosted.StopAsync(cancellationToken);
                }
                catch (Exception ex)
                {
                    // A client stopped before it ever connected has little to stop; nothing here may fail the host's stop.
                    MembershipLog.StopFailed(_logger, ex);
                }
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        _stopping.Dispose();
        if (_services is { } services)
        {
            await services.DisposeAsync();
        }
    }
}
