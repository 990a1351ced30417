using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Parley.ClientApi.Hosting;
using Parley.ClientApi.Routing;
using Parley.Cluster.Testing.Infrastructure;
using Parley.Testing;

namespace Parley.Bench.Gateway;

/// <summary>What the gateway benchmark measures, each server its own process as deployed: the simulator, a redis-server,
/// two silos forming one Orleans cluster on Redis (each on its own loopback address, sharing ports as pods do), and the
/// front end, an Orleans client that routes over the live silos.</summary>
internal sealed class GatewayCluster : IAsyncDisposable
{
    public const string UpstreamKey = "sk-bench-upstream";
    public const string UpstreamModel = "sim-bench";
    public const string PublicModel = "bench";
    private const string AdminKey = "sk-parley-bench-admin-0123456789abcdef0123456789";
    private const int SiloCount = 2;

    private readonly List<IAsyncDisposable> _owned = [];
    private readonly List<SiloProcess> _silos = [];
    private ClusterPorts _ports = null!;

    private GatewayCluster()
    {
    }

    public ChildProcess Simulator { get; private set; } = null!;

    public ChildProcess FrontEnd { get; private set; } = null!;

    public IReadOnlyList<SiloProcess> Silos => _silos;

    /// <param name="protocol">Http2: the front end forwards to the silos' HTTP/2 port; Http1: to their API port.</param>
    public static async Task<GatewayCluster> StartAsync(SiloProtocol protocol)
    {
        var cluster = new GatewayCluster();
        try
        {
            await cluster.StartCoreAsync(protocol);
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    private async Task StartCoreAsync(SiloProtocol protocol)
    {
        var simPort = FreePort.Next();
        Simulator = Own(await ChildProcess.StartAsync("sim", Repository.BuiltDll("sim", "Parley.Sim"), simPort, new Dictionary<string, string>
        {
            ["Simulator__TimeToFirstToken"] = "00:00:00",
            ["Simulator__TokensPerSecond"] = "0",
            ["Simulator__ResponseTokens"] = "16",
            ["Simulator__TokensPerChunk"] = "1",
            ["Simulator__RecordedRequests"] = "0",
            ["Simulator__Models__0"] = UpstreamModel,
        }, "/v1/models"));

        var redis = Own(await RedisServer.StartAsync());
        var clusterId = "bench-" + Guid.NewGuid().ToString("N")[..8];
        _ports = ClusterPorts.Find(SiloCount);
        if (protocol == SiloProtocol.Http1)
        {
            _ports = _ports with { FrontEndHttp2 = 0 };
        }
        var silo = new Dictionary<string, string>
        {
            ["Logging__LogLevel__Default"] = "Warning",
            ["DOTNET_gcServer"] = "0",
            ["Parley__Redis__ConnectionString"] = redis.ConnectionString,
            ["Parley__Cluster__ClusterId"] = clusterId,
            ["Parley__Auth__AdminKey"] = AdminKey,
            ["Parley__Simulator__Enabled"] = "false",
            ["Parley__Providers__bench__Type"] = "OpenAI",
            ["Parley__Providers__bench__BaseUrl"] = $"{Simulator.BaseAddress}v1",
            ["Parley__Providers__bench__ApiKey"] = UpstreamKey,
            [$"Parley__Models__{PublicModel}__Provider"] = "bench",
            [$"Parley__Models__{PublicModel}__UpstreamModel"] = UpstreamModel,
            // A conversation stays on the silo that activated it, so that turns served by the other silo call its grain
            // remotely: the benchmark measures both placements.
            ["Parley__Conversations__Context__MoveToServingSilo"] = "false",
        };
        for (var i = 0; i < SiloCount; i++)
        {
            var process = await SiloProcess.StartAsync(ClusterPorts.SiloAddress(i), _ports, silo);
            _silos.Add(process);
            _owned.Add(process);
        }

        var frontPort = FreePort.Next();
        FrontEnd = Own(await ChildProcess.StartAsync("client-api", Repository.BuiltDll("client-api", "Parley.ClientApi"), frontPort, new Dictionary<string, string>(_ports.FrontEndSettings("__"))
        {
            ["Parley__Redis__ConnectionString"] = redis.ConnectionString,
            ["Parley__Cluster__ClusterId"] = clusterId,
        }, "/health/ready"));
    }

    private T Own<T>(T resource) where T : IAsyncDisposable
    {
        _owned.Add(resource);
        return resource;
    }

    /// <summary>A user and its key, made through the first silo's admin API.</summary>
    public async Task<string> CreateUserKeyAsync()
    {
        using var admin = Client(_silos[0].Url, AdminKey);
        using var user = await admin.PostAsJsonAsync("admin/users", new Dictionary<string, string> { ["name"] = "bench" }, BenchJsonContext.Default.DictionaryStringString);
        var userId = (await ReadJsonAsync(user)).GetProperty("id").GetString();
        using var key = await admin.PostAsJsonAsync($"admin/users/{userId}/keys", new Dictionary<string, string> { ["name"] = "bench" }, BenchJsonContext.Default.DictionaryStringString);
        return (await ReadJsonAsync(key)).GetProperty("key").GetString()!;
    }

    /// <summary>Creates conversations through the first silo (so each is activated there) until <paramref name="perClass"/>
    /// of them are routed by the front end to the silo holding their grain and as many to the other silo. Where a grain
    /// lives is read back from the admin API; where the front end sends it is its own rendezvous ranking of the silos.</summary>
    public async Task<(List<string> Local, List<string> Remote)> CreateConversationsAsync(string userKey, int perClass)
    {
        using var user = Client(_silos[0].Url, userKey);
        using var admin = Client(_silos[0].Url, AdminKey);
        var siloUrls = _silos.Select(s => s.FrontEndUrl).ToArray();
        var local = new List<string>(perClass);
        var remote = new List<string>(perClass);
        for (var made = 0; local.Count < perClass || remote.Count < perClass; made++)
        {
            if (made > 8 * perClass)
            {
                throw new InvalidOperationException($"after {made} conversations only {local.Count} are served where they live and {remote.Count} elsewhere");
            }
            using var created = await user.PostAsJsonAsync("v1/conversations", new Dictionary<string, string> { ["model"] = PublicModel }, BenchJsonContext.Default.DictionaryStringString);
            var id = (await ReadJsonAsync(created)).GetProperty("id").GetString()!;
            using var context = await admin.GetAsync($"admin/conversations/{id}/context");
            var held = SiloIp((await ReadJsonAsync(context)).GetProperty("silo").GetString()!);
            var served = RoutedSilo(id, siloUrls);
            var list = _silos[served].Address.ToString() == held ? local : remote;
            if (list.Count < perClass)
            {
                list.Add(id);
            }
        }
        return (local, remote);
    }

    /// <summary>The silo the front end sends a conversation's turns to: the same ranking it computes.</summary>
    private static int RoutedSilo(string conversation, string[] siloUrls)
    {
        var hash = RoutingHash.Of(conversation);
        var best = 0;
        for (var i = 1; i < siloUrls.Length; i++)
        {
            if (RoutingHash.Weight(hash, siloUrls[i]) > RoutingHash.Weight(hash, siloUrls[best]))
            {
                best = i;
            }
        }
        return best;
    }

    /// <summary>The IP of an Orleans silo address as printed, <c>S127.0.0.2:11111:154000000</c>.</summary>
    private static string SiloIp(string siloAddress) => siloAddress.TrimStart('S').Split(':')[0];

    private static HttpClient Client(string baseUrl, string key)
    {
        var client = new HttpClient { BaseAddress = new Uri(baseUrl.TrimEnd('/') + "/"), Timeout = TimeSpan.FromSeconds(30) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return client;
    }

    private static async Task<JsonElement> ReadJsonAsync(HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"{response.RequestMessage?.RequestUri} answered {(int)response.StatusCode}: {text}");
        }
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    public async ValueTask DisposeAsync()
    {
        for (var i = _owned.Count - 1; i >= 0; i--)
        {
            await _owned[i].DisposeAsync();
        }
    }
}
