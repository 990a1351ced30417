using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Parley.Sim.Hosting;
using Parley.Sim.Observability;
using Parley.Silo;
using Parley.Testing;
using Parley.Testing.Logs;

namespace Parley.Cli.Tests.Infrastructure;

/// <summary>A real silo (Orleans in memory, Kestrel on a loopback port) in front of a real simulator, for the CLI
/// processes to talk to; one user with a key. Each test class configures the simulator it needs.</summary>
public class CliSilo : IAsyncLifetime
{
    public const string Model = "parley-sim";
    public const string UpstreamModel = "sim-small";
    public const string AdminKey = "sk-parley-admin-cli-test-0123456789abcdef";
    private const string Provider = "sim";

    private readonly List<HttpClient> _clients = [];
    private WebApplication? _silo;
    private SimulatorHost? _simulator;

    public Uri Url { get; private set; } = null!;

    /// <summary>The URL as `parley login --server` takes it (no trailing slash).</summary>
    public string Server => Url.ToString().TrimEnd('/');

    public string UserId { get; private set; } = "";

    public string UserKey { get; private set; } = "";

    public SimulatorHost Simulator => _simulator ?? throw new InvalidOperationException("not started");

    public SimulatorState SimState => Simulator.State;

    protected virtual void ConfigureSimulator(SimulatorOptions options)
    {
    }

    protected virtual void Configure(IDictionary<string, string?> settings)
    {
    }

    public async Task InitializeAsync()
    {
        _simulator = await SimulatorHost.StartAsync(options =>
        {
            options.RecordedRequests = 5000;
            ConfigureSimulator(options);
        });
        var settings = TestSiloSettings.Create(AdminKey, TimeSpan.FromSeconds(2));
        TestSiloSettings.AddSimulatorProvider(settings, Provider, _simulator.BaseUrl, "sk-upstream-cli-test-1234567890");
        // The CLI's own retries are under test: the silo passes upstream failures straight through.
        settings[$"Parley:Providers:{Provider}:Resilience:CircuitBreaker:Enabled"] = "false";
        settings[$"Parley:Models:{Model}:Provider"] = Provider;
        settings[$"Parley:Models:{Model}:UpstreamModel"] = UpstreamModel;
        Configure(settings);
        _silo = SiloApplication.Build(["--urls", "http://127.0.0.1:0"], builder =>
        {
            builder.Configuration.AddInMemoryCollection(settings);
            builder.Logging.AddTestLogFile();
        });
        await _silo.StartAsync();
        var address = _silo.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        Url = new Uri(address.TrimEnd('/') + "/");
        await WaitForStartupAsync();
        (UserId, UserKey) = await CreateUserAsync("cli-user");
    }

    private async Task WaitForStartupAsync()
    {
        var client = CreateClient(null);
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            using var response = await client.GetAsync("health/startup");
            if (response.IsSuccessStatusCode)
            {
                return;
            }
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException("the silo did not start: " + await response.Content.ReadAsStringAsync());
            }
            await Task.Delay(20);
        }
    }

    public async Task<(string UserId, string Key)> CreateUserAsync(string name)
    {
        var admin = CreateClient(AdminKey);
        using var user = await admin.PostAsJsonAsync("admin/users", new Dictionary<string, string> { ["name"] = name });
        user.EnsureSuccessStatusCode();
        var userId = (await user.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;
        using var key = await admin.PostAsJsonAsync($"admin/users/{userId}/keys", new Dictionary<string, string> { ["name"] = name + "-key" });
        key.EnsureSuccessStatusCode();
        return (userId, (await key.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("key").GetString()!);
    }

    public HttpClient CreateClient(string? key)
    {
        var client = new HttpClient { BaseAddress = Url, Timeout = TimeSpan.FromSeconds(60) };
        if (key is not null)
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        }
        _clients.Add(client);
        return client;
    }

    /// <summary>The user message of every chat completion the simulator received, in order.</summary>
    public IReadOnlyList<string> UpstreamUserMessages() => SimState.RecentRequests
        .Where(r => r.IsJson && r.Path.EndsWith("/chat/completions", StringComparison.Ordinal))
        .Select(r =>
        {
            using var body = JsonDocument.Parse(r.Body);
            return body.RootElement.GetProperty("messages").EnumerateArray()
                .Last(m => m.GetProperty("role").GetString() == "user").GetProperty("content").GetString()!;
        })
        .ToList();

    public async Task DisposeAsync()
    {
        foreach (var client in _clients)
        {
            client.Dispose();
        }
        if (_silo is not null)
        {
            using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            await _silo.StopAsync(stop.Token);
            await _silo.DisposeAsync();
        }
        if (_simulator is not null)
        {
            await _simulator.DisposeAsync();
        }
    }
}
