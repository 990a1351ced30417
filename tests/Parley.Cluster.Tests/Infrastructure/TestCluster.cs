using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Parley.ClientApi.Hosting;
using Parley.ClientApi.Routing;
using Parley.Sim.Hosting;
using Parley.Testing;

namespace Parley.Cluster.Tests.Infrastructure;

/// <summary>Everything real: a redis-server, the simulator (in process, its own port), three silos as child
/// processes on Redis membership and storage, and the front end (in process) routing over them.</summary>
public sealed class TestCluster : IAsyncDisposable
{
    public const string Model = "cluster-sim";
    public const string UpstreamModel = "sim-small";
    public const string AdminKey = "sk-parley-admin-cluster-test-0123456789";
    public const int SiloCount = 3;
    public static readonly TimeSpan DeathTimeout = TimeSpan.FromSeconds(4);
    private static readonly TimeSpan ConvergeTimeout = TimeSpan.FromSeconds(30);
    private const string UpstreamKey = "sk-upstream-cluster-test";

    private readonly List<HttpClient> _clients = [];
    private RedisServer? _redis;
    private SimulatorHost? _simulator;
    private WebApplication? _frontEnd;

    private TestCluster()
    {
    }

    public List<SiloProcess> Silos { get; } = [];

    public string FrontEndUrl { get; private set; } = "";

    public SimulatorHost Simulator => _simulator!;

    /// <summary>The silos the front end routes over right now.</summary>
    public SiloSet FrontEndView => _frontEnd!.Services.GetRequiredService<ISiloDirectory>().Current;

    /// <summary>Starts the cluster. <paramref name="configureSimulator"/> adjusts the simulator;
    /// <paramref name="siloSettings"/> adds or overrides silo environment variables (<c>Parley__…</c>; a null value
    /// removes a default).</summary>
    public static async Task<TestCluster> StartAsync(Action<SimulatorOptions>? configureSimulator = null,
        IReadOnlyDictionary<string, string?>? siloSettings = null)
    {
        var cluster = new TestCluster();
        try
        {
            await cluster.StartCoreAsync(configureSimulator, siloSettings);
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    private async Task StartCoreAsync(Action<SimulatorOptions>? configureSimulator, IReadOnlyDictionary<string, string?>? siloSettings)
    {
        _redis = await RedisServer.StartAsync();
        _simulator = await SimulatorHost.StartAsync(o =>
        {
            o.ResponseTokens = 8;
            configureSimulator?.Invoke(o);
        });
        var clusterId = "cluster-" + Guid.NewGuid().ToString("N")[..8];
        var environment = SiloEnvironment(_redis.ConnectionString, clusterId, _simulator.BaseUrl);
        foreach (var (name, value) in siloSettings ?? new Dictionary<string, string?>())
        {
            if (value is null)
            {
                environment.Remove(name);
            }
            else
            {
                environment[name] = value;
            }
        }
        var starts = Enumerable.Range(0, SiloCount).Select(_ => SiloProcess.StartAsync(environment)).ToList();
        try
        {
            await Task.WhenAll(starts);
        }
        finally
        {
            // Keep every silo that did start, so Dispose kills it even when another failed.
            Silos.AddRange(starts.Where(t => t.IsCompletedSuccessfully).Select(t => t.Result));
        }

        _frontEnd = FrontEndApplication.Build([], builder =>
        {
            builder.WebHost.UseUrls("http://127.0.0.1:0");
            builder.Logging.SetMinimumLevel(LogLevel.Warning);
            builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["Parley:Redis:ConnectionString"] = _redis.ConnectionString,
                ["Parley:Membership:ClusterId"] = clusterId,
                ["Parley:Membership:IAmAlivePeriod"] = "00:00:01",
                ["Parley:Membership:DeathTimeout"] = "00:00:04",
                ["Parley:Membership:RefreshPeriod"] = "00:00:00.500",
                ["Parley:FrontEnd:ConnectTimeout"] = "00:00:02",
            });
        });
        await _frontEnd.StartAsync();
        FrontEndUrl = _frontEnd.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First().TrimEnd('/');

        var expected = Silos.Select(s => s.Url).ToHashSet();
        await WaitUntilAsync(() => FrontEndView.Nodes.Select(n => n.Address).ToHashSet().SetEquals(expected),
            "the front end sees all three silos");
    }

    private static Dictionary<string, string> SiloEnvironment(string redis, string clusterId, Uri simulatorBaseUrl) => new()
    {
        ["Logging__LogLevel__Default"] = "Warning",
        ["Parley__Redis__ConnectionString"] = redis,
        ["Parley__Membership__ClusterId"] = clusterId,
        ["Parley__Membership__IAmAlivePeriod"] = "00:00:01",
        ["Parley__Membership__DeathTimeout"] = "00:00:04",
        ["Parley__Membership__RefreshPeriod"] = "00:00:00.500",
        ["Parley__Auth__AdminKey"] = AdminKey,
        ["Parley__Simulator__Enabled"] = "false",
        ["Parley__Shutdown__GracePeriod"] = "00:00:02",
        ["Parley__Providers__sim__Type"] = "OpenAI",
        ["Parley__Providers__sim__BaseUrl"] = simulatorBaseUrl.ToString(),
        ["Parley__Providers__sim__ApiKey"] = UpstreamKey,
        [$"Parley__Models__{Model}__Provider"] = "sim",
        [$"Parley__Models__{Model}__UpstreamModel"] = UpstreamModel,
    };

    /// <summary>An HttpClient for <paramref name="baseUrl"/> (the front end or one silo) with a Bearer key.</summary>
    public HttpClient Client(string baseUrl, string key)
    {
        var client = new HttpClient { BaseAddress = new Uri(baseUrl.TrimEnd('/') + "/"), Timeout = TimeSpan.FromSeconds(30) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        _clients.Add(client);
        return client;
    }

    /// <summary>Creates a user and its key through the front end's admin API.</summary>
    public async Task<string> CreateUserKeyAsync(string name)
    {
        var admin = Client(FrontEndUrl, AdminKey);
        using var user = await admin.PostAsJsonAsync("admin/users", new Dictionary<string, string> { ["name"] = name });
        var userId = (await Http.ReadSuccessJsonAsync(user)).GetProperty("id").GetString()!;
        using var key = await admin.PostAsJsonAsync($"admin/users/{userId}/keys", new Dictionary<string, string> { ["name"] = name });
        return (await Http.ReadSuccessJsonAsync(key)).GetProperty("key").GetString()!;
    }

    /// <summary>Polls <paramref name="condition"/> until it holds, failing after a bound (no fixed sleeps).</summary>
    public static async Task WaitUntilAsync(Func<bool> condition, string what, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? ConvergeTimeout);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Timed out waiting until {what}.");
            }
            await Task.Delay(50);
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var client in _clients)
        {
            client.Dispose();
        }
        // Silos first: they are child processes and must never outlive the run, whatever fails below.
        foreach (var silo in Silos)
        {
            await silo.DisposeAsync();
        }
        try
        {
            if (_frontEnd is not null)
            {
                await _frontEnd.StopAsync();
                await _frontEnd.DisposeAsync();
            }
        }
        finally
        {
            if (_simulator is not null)
            {
                await _simulator.DisposeAsync();
            }
            if (_redis is not null)
            {
                await _redis.DisposeAsync();
            }
        }
    }
}
