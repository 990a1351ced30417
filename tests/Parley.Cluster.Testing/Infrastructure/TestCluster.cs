using System.Net.Http.Headers;
using System.Net.Http.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Parley.ClientApi.Health;
using Parley.ClientApi.Hosting;
using Parley.Sim.Hosting;
using Parley.Testing;
using Parley.Testing.Logs;

namespace Parley.Cluster.Testing.Infrastructure;

/// <summary>Everything real: a redis-server, the simulator (in process, its own port), three silos as child processes
/// forming one Orleans cluster on Redis (each on its own loopback address), and the YARP front end (in process), an
/// Orleans client that learns the live silos from Orleans' membership.</summary>
public sealed class TestCluster : IAsyncDisposable
{
    public const string Model = "cluster-sim";
    public const string UpstreamModel = "sim-small";
    public const string AdminKey = "sk-parley-admin-cluster-test-0123456789";

    /// <summary>Names a folder: silos then log at Information, the front end logs to the console, and the chaos run writes
    /// each restarted silo's output there.</summary>
    public const string DumpVariable = "PARLEY_CHAOS_DUMP";

    public const int SiloCount = 3;
    private static readonly TimeSpan ConvergeTimeout = TimeSpan.FromSeconds(45);
    private const string UpstreamKey = "sk-upstream-cluster-test";

    private readonly List<HttpClient> _clients = [];
    private readonly List<SiloProcess?> _silos = [];
    private RedisServer? _redis;
    private SimulatorHost? _simulator;
    private WebApplication? _frontEnd;
    private Dictionary<string, string> _environment = [];

    // This process serves the simulated upstream, the front end and the test's clients at once. On a two-core machine
    // the thread pool's hill climbing lowers its goal to a few workers; with those briefly blocked, queued work (the
    // simulator reading paced calls) waited 0.6-1 s for the pool's starvation check in about half of the pacing test's
    // runs, so the simulator stamped a second of paced arrivals as one burst. Hill climbing off, or this floor: none in
    // 10 runs each. The floor is this process's only; the silos run as they would in production.
    private const int MinWorkerThreads = 16;

    static TestCluster()
    {
        ThreadPool.GetMinThreads(out var workers, out var completionPorts);
        if (workers < MinWorkerThreads)
        {
            ThreadPool.SetMinThreads(MinWorkerThreads, completionPorts);
        }
    }

    private TestCluster()
    {
    }

    public ClusterPorts Ports { get; private set; } = null!;

    /// <summary>The silos by index; a silo killed and not restarted stays in place (exited).</summary>
    public IReadOnlyList<SiloProcess> Silos => [.. _silos.Select(s => s!)];

    public string FrontEndUrl { get; private set; } = "";

    public SimulatorHost Simulator => _simulator!;

    public RedisServer Redis => _redis!;

    /// <summary>The silos the front end routes over right now, and their health.</summary>
    public IReadOnlyList<SiloState> FrontEndView => _frontEnd!.Services.GetRequiredService<ISiloView>().Silos;

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
        Ports = ClusterPorts.Find(SiloCount);
        _environment = SiloEnvironment(_redis.ConnectionString, clusterId, _simulator.BaseUrl);
        foreach (var (name, value) in siloSettings ?? new Dictionary<string, string?>())
        {
            if (value is null)
            {
                _environment.Remove(name);
            }
            else
            {
                _environment[name] = value;
            }
        }
        // One by one: the first silo creates the membership table, and two cold starts at once on two cores take as
        // long as two in a row.
        for (var i = 0; i < SiloCount; i++)
        {
            _silos.Add(null);
            _silos[i] = await SiloProcess.StartAsync(ClusterPorts.SiloAddress(i), Ports, _environment);
        }

        _frontEnd = FrontEndApplication.Build([], builder =>
        {
            builder.WebHost.UseUrls("http://127.0.0.1:0");
            builder.Logging.SetMinimumLevel(LogLevel.Warning);
            if (Environment.GetEnvironmentVariable(DumpVariable) is null)
            {
                // Its warnings (a killed silo's refused connections, retried elsewhere) are expected here, and would bury
                // the test's or the benchmark's own output.
                builder.Logging.ClearProviders();
            }
            builder.Logging.AddTestLogFile();
            builder.Configuration.AddInMemoryCollection(Ports.FrontEndSettings(":")!);
            builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["Parley:Redis:ConnectionString"] = _redis.ConnectionString,
                ["Parley:Cluster:ClusterId"] = clusterId,
                // No management port: nothing here scrapes the front end, and a port picked free beforehand on 127.0.0.1
                // can be taken by another fixture's ephemeral bind before Kestrel binds it (seen once on a busy machine).
                // The silos keep theirs, on their own addresses; tests/Parley.Telemetry.Tests scrapes a front end.
                ["Parley:Telemetry:Metrics:Enabled"] = "false",
                ["Parley:FrontEnd:MembershipRefreshPeriod"] = "00:00:00.250",
                ["Parley:FrontEnd:HealthCheckInterval"] = "00:00:00.500",
                ["Parley:FrontEnd:GatewayListRefreshPeriod"] = "00:00:01",
                // A busy two-core machine: a slow probe must not take a live silo out.
                ["Parley:FrontEnd:HealthCheckTimeout"] = "00:00:02",
            });
        });
        await _frontEnd.StartAsync();
        FrontEndUrl = _frontEnd.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First().TrimEnd('/');
        await WaitForFrontEndAsync(SiloCount);
    }

    /// <summary>Waits until the front end routes to exactly <paramref name="healthy"/> healthy silos.</summary>
    public Task WaitForFrontEndAsync(int healthy, TimeSpan? timeout = null)
        => WaitUntilAsync(() => FrontEndView.Count == healthy && FrontEndView.All(s => s.IsHealthy),
            $"the front end sees {healthy} healthy silo(s) (sees: {string.Join(", ", FrontEndView.Select(s => $"{s.Address} {s.Probe}/{s.Failures}"))})", timeout);

    /// <summary>Kills silo <paramref name="index"/> at once (SIGKILL).</summary>
    public void Kill(int index) => _silos[index]!.Kill();

    /// <summary>Starts silo <paramref name="index"/> again at its address (after a kill or a stop), ready when this returns;
    /// <paramref name="listening"/> is told as soon as it has joined the cluster and listens.</summary>
    public async Task RestartAsync(int index, Action? listening = null)
    {
        var old = _silos[index];
        if (old is not null)
        {
            await old.DisposeAsync();
        }
        _silos[index] = await SiloProcess.StartAsync(ClusterPorts.SiloAddress(index), Ports, _environment, listening);
    }

    private static Dictionary<string, string> SiloEnvironment(string redis, string clusterId, Uri simulatorBaseUrl) => new()
    {
        ["Logging__LogLevel__Default"] = Environment.GetEnvironmentVariable(DumpVariable) is null ? "Warning" : "Information",
        ["Logging__Console__FormatterOptions__TimestampFormat"] = "HH:mm:ss.fff ",
        ["Parley__Redis__ConnectionString"] = redis,
        ["Parley__Cluster__ClusterId"] = clusterId,
        ["Parley__Auth__AdminKey"] = AdminKey,
        [$"Parley__Encryption__Keys__{TestEncryptionKeys.FirstId}"] = TestEncryptionKeys.First,
        ["Parley__Encryption__ActiveKeyId"] = TestEncryptionKeys.FirstId,
        ["Parley__Simulator__Enabled"] = "false",
        ["Parley__Shutdown__GracePeriod"] = "00:00:05",
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
        foreach (var silo in _silos)
        {
            if (silo is not null)
            {
                await silo.DisposeAsync();
            }
        }
        try
        {
            if (_frontEnd is not null)
            {
                using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(10));
                await _frontEnd.StopAsync(stop.Token);
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
