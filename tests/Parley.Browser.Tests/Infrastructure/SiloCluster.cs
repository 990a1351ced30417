using System.Globalization;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Parley.Silo;
using Parley.Testing;
using Parley.Testing.Logs;

namespace Parley.Browser.Tests.Infrastructure;

/// <summary>A real cluster on one machine: a redis-server on a free loopback port and silos started in this process
/// through <see cref="SiloApplication"/> (the deployed process's composition), one per loopback address
/// (127.0.0.2, 127.0.0.3, …), sharing Redis membership, storage and the cluster id. They all use the same HTTP, silo and
/// gateway ports, each on its own address.</summary>
public sealed class SiloCluster : IAsyncDisposable
{
    public const string AdminKey = "sk-parley-browser-test-admin-0123456789abcdef";
    private static readonly TimeSpan StartupTimeout = TimeSpan.FromSeconds(90);

    private readonly List<WebApplication> _silos = [];
    private readonly RedisServer _redis;

    private SiloCluster(RedisServer redis, int httpPort)
    {
        _redis = redis;
        HttpPort = httpPort;
    }

    public int HttpPort { get; }

    /// <summary>Each silo's root URL, e.g. http://127.0.0.2:40123/.</summary>
    public List<Uri> Urls { get; } = [];

    /// <summary>An HttpClient for silo <paramref name="index"/> with <c>Authorization: Bearer key</c> (none if null).</summary>
    public HttpClient CreateClient(int index, string? key)
    {
        var client = new HttpClient { BaseAddress = Urls[index], Timeout = TimeSpan.FromSeconds(30) };
        if (key is not null)
        {
            client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", key);
        }
        return client;
    }

    /// <summary>Starts <paramref name="siloCount"/> silos; <paramref name="configure"/> may add or override any setting
    /// (the same for every silo).</summary>
    public static async Task<SiloCluster> StartAsync(int siloCount, Action<IDictionary<string, string?>>? configure = null)
    {
        var redis = await RedisServer.StartAsync();
        var addresses = Enumerable.Range(0, siloCount).Select(LoopbackPorts.SiloAddress).ToList();
        var cluster = new SiloCluster(redis, LoopbackPorts.FreeOnAll(addresses));
        try
        {
            var siloPort = LoopbackPorts.FreeOnAll(addresses, [cluster.HttpPort]);
            var gatewayPort = LoopbackPorts.FreeOnAll(addresses, [cluster.HttpPort, siloPort]);
            var metricsPort = LoopbackPorts.FreeOnAll(addresses, [cluster.HttpPort, siloPort, gatewayPort]);
            var clusterId = "browser-" + Guid.NewGuid().ToString("N")[..8];
            foreach (var address in addresses)
            {
                var url = new Uri($"http://{address}:{cluster.HttpPort}/");
                var settings = Settings(redis, clusterId, address, siloPort, gatewayPort);
                settings["Parley:Telemetry:Metrics:Port"] = metricsPort.ToString(CultureInfo.InvariantCulture);
                configure?.Invoke(settings);
                var silo = SiloApplication.Build(["--urls", url.ToString().TrimEnd('/')], b =>
                {
                    b.Configuration.AddInMemoryCollection(settings);
                    b.Logging.AddTestLogFile();
                });
                cluster._silos.Add(silo);
                cluster.Urls.Add(url);
            }
            // Together, as a deployment's pods start.
            await Task.WhenAll(cluster._silos.Select(s => s.StartAsync()));
            await Task.WhenAll(cluster.Urls.Select(WaitForStartupProbeAsync));
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var silo in _silos)
        {
            try
            {
                using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(15));
                await silo.StopAsync(stop.Token);
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException)
            {
                // Bounded: the next silo still stops.
            }
            finally
            {
                await silo.DisposeAsync();
            }
        }
        await _redis.DisposeAsync();
    }

    private static Dictionary<string, string?> Settings(RedisServer redis, string clusterId, IPAddress address, int siloPort, int gatewayPort) => new()
    {
        ["Logging:LogLevel:Default"] = "Warning",
        ["Logging:LogLevel:Orleans"] = "Error",
        ["Parley:Redis:ConnectionString"] = redis.ConnectionString,
        ["Parley:Redis:KeyPrefix"] = clusterId,
        ["Parley:Cluster:ClusterId"] = clusterId,
        ["Parley:Cluster:ServiceId"] = clusterId,
        ["Parley:Cluster:AdvertisedAddress"] = address.ToString(),
        ["Parley:Cluster:SiloPort"] = siloPort.ToString(CultureInfo.InvariantCulture),
        ["Parley:Cluster:GatewayPort"] = gatewayPort.ToString(CultureInfo.InvariantCulture),
        ["Parley:Auth:AdminKey"] = AdminKey,
        ["Parley:Simulator:Enabled"] = "false",
        ["Parley:Shutdown:DrainDelay"] = "00:00:00",
        ["Parley:Shutdown:GracePeriod"] = "00:00:02",
        // An upstream that is never called (nothing listens there): it gives the cluster an upstream key, so that its
        // ApiKeyGrain exists for the dashboard to show.
        ["Parley:Providers:offline:Type"] = "OpenAI",
        ["Parley:Providers:offline:BaseUrl"] = "http://127.0.0.1:9/v1",
        ["Parley:Providers:offline:ApiKey"] = "sk-offline-upstream-key-0123456789",
        ["Parley:Models:offline-model:Provider"] = "offline",
    };

    private static async Task WaitForStartupProbeAsync(Uri url)
    {
        using var client = new HttpClient { BaseAddress = url, Timeout = TimeSpan.FromSeconds(10) };
        var deadline = DateTime.UtcNow + StartupTimeout;
        while (true)
        {
            try
            {
                using var response = await client.GetAsync("health/startup");
                if (response.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"The silo at {url} did not pass its startup probe within {StartupTimeout}.");
            }
            await Task.Delay(50);
        }
    }
}
