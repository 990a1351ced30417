using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Parley.Sim.Faults;
using Parley.Sim.Hosting;
using Parley.Sim.Observability;
using Parley.Testing;
using Parley.Testing.Logs;

namespace Parley.Silo.Tests.Infrastructure;

/// <summary>A real silo (in-memory cluster, real Kestrel on a loopback port) in front of a real simulator (its own
/// loopback port), configured like a deployment: provider <see cref="ProviderName"/> pointing at the simulator and
/// public models mapped onto it, a fixed admin key, the embedded simulator off.</summary>
public sealed class SiloHarness : IAsyncDisposable
{
    public const string ProviderName = "sim";
    /// <summary>Public model mapped to the simulator's <see cref="UpstreamModel"/>.</summary>
    public const string Model = "parley-sim";
    public const string UpstreamModel = "sim-small";
    /// <summary>A second public model, mapped onto the same upstream model name as its own id.</summary>
    public const string OtherModel = "sim-large";
    public const string UpstreamKey = "sk-upstream-test-key-1234567890";
    private static readonly TimeSpan StartupProbeTimeout = TimeSpan.FromSeconds(15);
    private static readonly TimeSpan StartupProbeInterval = TimeSpan.FromMilliseconds(10);
    private const string FixedAdminKey = "sk-parley-admin-test-0123456789abcdef";
    private const int BindAttempts = 3;

    private readonly List<HttpClient> _clients = [];

    private SiloHarness(WebApplication silo, SimulatorHost simulator, Uri siloUrl)
    {
        Silo = silo;
        Simulator = simulator;
        SiloUrl = siloUrl;
    }

    public string AdminKey => FixedAdminKey;

    /// <summary>The silo's root URL, e.g. http://127.0.0.1:40123/.</summary>
    public Uri SiloUrl { get; }

    /// <summary>The simulator's root URL.</summary>
    public Uri SimUrl => Simulator.Url;

    public WebApplication Silo { get; }

    public SimulatorHost Simulator { get; }

    /// <summary>What the simulator received (request bodies, counters).</summary>
    public SimulatorState SimState => Simulator.State;

    public IServiceProvider Services => Silo.Services;

    /// <summary>Starts a simulator and a silo. <paramref name="configure"/> may override or add any silo setting
    /// ("Parley:…" keys); <paramref name="configureSimulator"/> adjusts the simulator; <paramref name="configureBuilder"/>
    /// runs before the silo's own registrations (e.g. to register a test TimeProvider).</summary>
    public static async Task<SiloHarness> StartAsync(Action<IDictionary<string, string?>>? configure = null, Action<SimulatorOptions>? configureSimulator = null,
        Action<WebApplicationBuilder>? configureBuilder = null)
    {
        var simulator = await SimulatorHost.StartAsync(configureSimulator);
        try
        {
            var silo = await StartSiloAsync(simulator.BaseUrl, configure, configureBuilder);
            var address = silo.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
            var harness = new SiloHarness(silo, simulator, new Uri(address.TrimEnd('/') + "/"));
            try
            {
                await harness.WaitForStartupProbeAsync();
            }
            catch
            {
                await harness.DisposeAsync();
                throw;
            }
            return harness;
        }
        catch
        {
            await simulator.DisposeAsync();
            throw;
        }
    }

    /// <summary>Builds and starts the silo. Its Orleans ports are picked free beforehand (Orleans takes them from
    /// configuration), so another process may bind one first: then it starts again on new ports.</summary>
    private static async Task<WebApplication> StartSiloAsync(Uri simulatorBaseUrl, Action<IDictionary<string, string?>>? configure,
        Action<WebApplicationBuilder>? configureBuilder)
    {
        for (var attempt = 1; ; attempt++)
        {
            var settings = DefaultSettings(simulatorBaseUrl);
            configure?.Invoke(settings);
            var silo = SiloApplication.Build(["--urls", "http://127.0.0.1:0"], builder =>
            {
                builder.Configuration.AddInMemoryCollection(settings);
                configureBuilder?.Invoke(builder);
                builder.Logging.AddTestLogFile();
                // A test's manual clock drives Parley's code and grain timers; Orleans' own machinery (messaging,
                // membership, activation management) keeps real time, as it would in production.
                builder.Services.AddKeyedSingleton<TimeProvider>(KeyedService.AnyKey, TimeProvider.System);
                builder.Services.AddKeyedSingleton<TimeProvider>(TimeProviderNames.Grains, static (sp, _) => sp.GetRequiredService<TimeProvider>());
            });
            try
            {
                await silo.StartAsync();
                return silo;
            }
            catch (Exception e)
            {
                await silo.DisposeAsync();
                if (attempt >= BindAttempts || !(e is Parley.Silo.Hosting.PortInUseException || FreePort.WasTaken(e)))
                {
                    throw;
                }
            }
        }
    }

    /// <summary>The silo joins membership in the background once Kestrel listens; like Kubernetes, wait for the
    /// startup probe before using it.</summary>
    private async Task WaitForStartupProbeAsync()
    {
        var client = CreateClient(key: null);
        var deadline = DateTime.UtcNow + StartupProbeTimeout;
        while (true)
        {
            using var response = await client.GetAsync("health/startup");
            if (response.IsSuccessStatusCode)
            {
                return;
            }
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"The silo did not pass its startup probe: {await response.Content.ReadAsStringAsync()}");
            }
            await Task.Delay(StartupProbeInterval);
        }
    }

    private static Dictionary<string, string?> DefaultSettings(Uri simulatorBaseUrl)
    {
        var settings = TestSiloSettings.Create(FixedAdminKey, TimeSpan.FromSeconds(5));
        TestSiloSettings.AddSimulatorProvider(settings, ProviderName, simulatorBaseUrl, UpstreamKey);
        // Most tests force one upstream fault and check how it is answered; the resilience tests turn retries and the
        // breaker on, and only the tests of key cool-downs want the key to cool down.
        settings[$"Parley:Providers:{ProviderName}:Resilience:CircuitBreaker:Enabled"] = "false";
        settings[$"Parley:Providers:{ProviderName}:ForwardHeaders:0"] = SimHeaders.Fault;
        settings[$"Parley:Providers:{ProviderName}:ForwardHeaders:1"] = SimHeaders.RetryAfter;
        settings[$"Parley:Providers:{ProviderName}:ForwardHeaders:2"] = SimHeaders.CutAfterChunks;
        settings[$"Parley:Providers:{ProviderName}:ForwardHeaders:3"] = SimHeaders.ResponseTokens;
        settings[$"Parley:Models:{Model}:Provider"] = ProviderName;
        settings[$"Parley:Models:{Model}:UpstreamModel"] = UpstreamModel;
        settings[$"Parley:Models:{OtherModel}:Provider"] = ProviderName;
        return settings;
    }

    /// <summary>Settings for a silo on <paramref name="redis"/> that a test will take Redis away from: short connect and
    /// store timeouts, and keys and limits read before the outage trusted through it. The command timeout is 2 s: at
    /// 500 ms a busy machine timed out the setup's first commands (684 ms for a fresh silo's first script), while
    /// during the outage the exact decisions never wait for it (they refuse to send on a lost connection).</summary>
    public static void UseRedisThroughOutage(IDictionary<string, string?> settings, RedisServer redis)
    {
        settings["Parley:Redis:ConnectionString"] = redis.ConnectionString + ",connectTimeout=500,syncTimeout=2000";
        settings["Parley:Cluster:AdvertisedAddress"] = "127.0.0.1";
        settings["Parley:Redis:KeyPrefix"] = "t" + Guid.NewGuid().ToString("N");
        settings["Parley:Auth:CacheTtl"] = "00:05:00";
        settings["Parley:Quotas:SettingsCacheTtl"] = "00:05:00";
        settings["Parley:Quotas:StoreTimeout"] = "00:00:00.300";
        settings[$"Parley:Providers:{ProviderName}:Pool:StoreTimeout"] = "00:00:00.300";
    }

    /// <summary>Creates a user and a key for it through the admin API.</summary>
    public async Task<(string UserId, string Key)> CreateUserAsync(string name)
    {
        var admin = CreateClient(AdminKey);
        using var userResponse = await admin.PostAsJsonAsync("admin/users", new Dictionary<string, string> { ["name"] = name });
        await EnsureSuccessAsync(userResponse);
        var userId = (await userResponse.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;
        using var keyResponse = await admin.PostAsJsonAsync($"admin/users/{userId}/keys", new Dictionary<string, string> { ["name"] = name + "-key" });
        await EnsureSuccessAsync(keyResponse);
        var key = (await keyResponse.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("key").GetString()!;
        return (userId, key);
    }

    /// <summary>An HttpClient with BaseAddress = the silo's root and <c>Authorization: Bearer key</c> (none if null).
    /// Disposed with the harness.</summary>
    public HttpClient CreateClient(string? key)
    {
        var client = new HttpClient { BaseAddress = SiloUrl, Timeout = TimeSpan.FromSeconds(60) };
        if (key is not null)
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        }
        _clients.Add(client);
        return client;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var client in _clients)
        {
            client.Dispose();
        }
        try
        {
            // Bounded: a silo whose Redis a test took away cannot leave the membership table gracefully.
            using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            await Silo.StopAsync(stop.Token);
        }
        finally
        {
            await Silo.DisposeAsync();
            await Simulator.DisposeAsync();
        }
    }

    private static async Task EnsureSuccessAsync(HttpResponseMessage response)
    {
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"{response.RequestMessage?.Method} {response.RequestMessage?.RequestUri} answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        }
    }
}
