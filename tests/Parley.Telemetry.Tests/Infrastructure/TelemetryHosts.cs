using System.Diagnostics;
using System.Globalization;
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
using OpenTelemetry.Trace;
using Parley.ClientApi.Health;
using Parley.ClientApi.Hosting;
using Parley.Sim.Faults;
using Parley.Sim.Hosting;
using Parley.Silo;
using Parley.Testing;
using Parley.Testing.Logs;

namespace Parley.Telemetry.Tests.Infrastructure;

/// <summary>A real simulator, a real silo (in-memory cluster, Kestrel on loopback) configured with providers and models
/// of this test project's own names, and optionally the real front end in front of it, each with its Prometheus
/// management port on a free port and tracing on. Every span the process records is kept in <see cref="Spans"/>
/// (OpenTelemetry's in-memory exporter on the silo's tracer provider, which listens to the same sources as the front
/// end's and so sees its spans too).</summary>
public sealed class TelemetryHosts : IAsyncDisposable
{
    public const string Provider = "tlm";
    public const string Model = "tlm-model";
    public const string UpstreamModel = "tlm-upstream";
    /// <summary>A provider of its own (its own key), for the test that has the upstream refuse with 429.</summary>
    public const string LimitedProvider = "tlm-limited";
    public const string LimitedModel = "tlm-limited-model";
    public const string AdminKey = "sk-parley-admin-telemetry-0123456789abcdef";
    private const string UpstreamKey = "sk-upstream-telemetry-0123456789";
    private const string LimitedUpstreamKey = "sk-upstream-telemetry-limited-0123456789";
    private static readonly TimeSpan ConvergeTimeout = TimeSpan.FromSeconds(20);

    private readonly List<HttpClient> _clients = [];

    private TelemetryHosts(SimulatorHost simulator, WebApplication silo, Uri siloUrl, int siloMetricsPort, SpanList spans)
    {
        Simulator = simulator;
        Silo = silo;
        SiloUrl = siloUrl;
        SiloMetricsPort = siloMetricsPort;
        Spans = spans;
    }

    public SimulatorHost Simulator { get; }
    public WebApplication Silo { get; }
    public Uri SiloUrl { get; }
    public int SiloMetricsPort { get; }
    public WebApplication? FrontEnd { get; private set; }
    public Uri? FrontEndUrl { get; private set; }
    public int FrontEndMetricsPort { get; private set; }
    public SpanList Spans { get; }

    public static async Task<TelemetryHosts> StartAsync(bool withFrontEnd = false, Action<IDictionary<string, string?>>? configure = null)
    {
        var simulator = await SimulatorHost.StartAsync(o => o.AcceptAnyModel = true);
        var spans = new SpanList();
        WebApplication? silo = null;
        try
        {
            int metricsPort;
            for (var attempt = 1; ; attempt++)
            {
                metricsPort = FreePort.Next();
                var settings = SiloSettings(simulator.BaseUrl, metricsPort);
                configure?.Invoke(settings);
                try
                {
                    silo = SiloApplication.Build(["--urls", "http://127.0.0.1:0"], builder =>
                    {
                        builder.Configuration.AddInMemoryCollection(settings);
                        builder.Logging.AddTestLogFile();
                        builder.Services.ConfigureOpenTelemetryTracerProvider(tracing => tracing.AddInMemoryExporter(spans));
                    });
                    await silo.StartAsync();
                    break;
                }
                catch (Exception e) when (attempt < BindAttempts && IsAddressInUse(e))
                {
                    // A port picked free beforehand was taken by another process before the bind: new ports, again.
                    if (silo is not null)
                    {
                        await silo.DisposeAsync();
                    }
                    silo = null;
                }
            }
            var hosts = new TelemetryHosts(simulator, silo, ApiUrl(silo, metricsPort), metricsPort, spans);
            try
            {
                await hosts.WaitForAsync(async () => (await hosts.CreateClient(hosts.SiloUrl, null).GetAsync("health/startup")).IsSuccessStatusCode, "the silo's startup probe");
                if (withFrontEnd)
                {
                    await hosts.StartFrontEndAsync();
                }
                return hosts;
            }
            catch
            {
                await hosts.DisposeAsync();
                throw;
            }
        }
        catch
        {
            if (silo is not null)
            {
                await silo.DisposeAsync();
            }
            await simulator.DisposeAsync();
            throw;
        }
    }

    private async Task StartFrontEndAsync()
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await StartFrontEndOnceAsync();
                return;
            }
            catch (Exception e) when (attempt < BindAttempts && IsAddressInUse(e))
            {
                // As for the silo: a port picked free beforehand was taken before the bind.
            }
        }
    }

    /// <summary>Ports are picked free and released before the host binds them: on a shared machine another process can
    /// take one in between. A start that fails so is tried again with new ports.</summary>
    private const int BindAttempts = 3;

    private static bool IsAddressInUse(Exception e) => e is Parley.Silo.Hosting.PortInUseException || FreePort.WasTaken(e);

    private async Task StartFrontEndOnceAsync()
    {
        FrontEndMetricsPort = FreePort.Next();
        var frontEnd = FrontEndApplication.Build([], builder =>
        {
            builder.WebHost.UseUrls("http://127.0.0.1:0");
            builder.Logging.SetMinimumLevel(LogLevel.Warning);
            builder.Logging.AddTestLogFile();
            builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["Parley:FrontEnd:Silos:0"] = SiloUrl.ToString().TrimEnd('/'),
                ["Parley:Telemetry:Metrics:Port"] = FrontEndMetricsPort.ToString(CultureInfo.InvariantCulture),
                ["Parley:Telemetry:Traces:Enabled"] = "true",
            });
        });
        try
        {
            await frontEnd.StartAsync();
        }
        catch
        {
            await frontEnd.DisposeAsync();
            throw;
        }
        FrontEnd = frontEnd;
        FrontEndUrl = ApiUrl(frontEnd, FrontEndMetricsPort);
        var view = frontEnd.Services.GetRequiredService<ISiloView>();
        await WaitForAsync(() => Task.FromResult(view.Silos is [{ IsHealthy: true }]), "the front end to see the silo healthy");
    }

    private static Dictionary<string, string?> SiloSettings(Uri simulator, int metricsPort)
    {
        var settings = TestSiloSettings.Create(AdminKey, TimeSpan.FromSeconds(5));
        settings["Parley:Telemetry:Metrics:Enabled"] = "true";
        settings["Parley:Telemetry:Metrics:Port"] = metricsPort.ToString(CultureInfo.InvariantCulture);
        settings["Parley:Telemetry:Traces:Enabled"] = "true";
        foreach (var (provider, key, model) in new[] { (Provider, UpstreamKey, Model), (LimitedProvider, LimitedUpstreamKey, LimitedModel) })
        {
            TestSiloSettings.AddSimulatorProvider(settings, provider, simulator, key);
            settings[$"Parley:Providers:{provider}:ForwardHeaders:0"] = SimHeaders.Fault;
            settings[$"Parley:Providers:{provider}:ForwardHeaders:1"] = SimHeaders.RetryAfter;
            settings[$"Parley:Providers:{provider}:ForwardHeaders:2"] = SimHeaders.ResponseTokens;
            settings[$"Parley:Models:{model}:Provider"] = provider;
            settings[$"Parley:Models:{model}:UpstreamModel"] = UpstreamModel;
        }
        return settings;
    }

    private static Uri ApiUrl(WebApplication app, int metricsPort)
    {
        var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses;
        var api = addresses.Select(a => new Uri(a)).Single(a => a.Port != metricsPort);
        return new Uri(api.GetLeftPart(UriPartial.Authority) + "/");
    }

    public HttpClient CreateClient(Uri baseAddress, string? key)
    {
        var client = new HttpClient { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(60) };
        if (key is not null)
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        }
        _clients.Add(client);
        return client;
    }

    /// <summary>A user and a key for it, through the admin API.</summary>
    public async Task<(string UserId, string Key)> CreateUserAsync(string name)
    {
        var admin = CreateClient(SiloUrl, AdminKey);
        using var user = await admin.PostAsJsonAsync("admin/users", new Dictionary<string, string> { ["name"] = name });
        user.EnsureSuccessStatusCode();
        var userId = (await user.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;
        using var key = await admin.PostAsJsonAsync($"admin/users/{userId}/keys", new Dictionary<string, string> { ["name"] = name + "-key" });
        key.EnsureSuccessStatusCode();
        return (userId, (await key.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("key").GetString()!);
    }

    /// <summary>One scrape of a management port, as Prometheus takes it.</summary>
    public async Task<string> ScrapeAsync(int metricsPort)
    {
        var client = CreateClient(new Uri($"http://127.0.0.1:{metricsPort}/"), null);
        using var response = await client.GetAsync("metrics");
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"GET /metrics answered {(int)response.StatusCode}: {text}");
        return text;
    }

    /// <summary>Polls (the machine is shared: a generous bound) until the condition holds, else fails the test.</summary>
    public Task WaitForAsync(Func<Task<bool>> condition, string what) => WaitForAsync(condition, () => what);

    /// <summary>Like <see cref="WaitForAsync(Func{Task{bool}}, string)"/>, describing what was awaited (and what was
    /// seen) only when it times out.</summary>
    public async Task WaitForAsync(Func<Task<bool>> condition, Func<string> what)
    {
        var deadline = DateTime.UtcNow + ConvergeTimeout;
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail("Timed out waiting for " + what());
            }
            await Task.Delay(20);
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var client in _clients)
        {
            client.Dispose();
        }
        if (FrontEnd is not null)
        {
            await FrontEnd.StopAsync();
            await FrontEnd.DisposeAsync();
        }
        using (var stop = new CancellationTokenSource(TimeSpan.FromSeconds(10)))
        {
            await Silo.StopAsync(stop.Token);
        }
        await Silo.DisposeAsync();
        await Simulator.DisposeAsync();
    }
}

/// <summary>The in-memory exporter's list, safe to read while spans end on other threads.</summary>
public sealed class SpanList : ICollection<Activity>
{
    private readonly List<Activity> _items = [];
    private readonly Lock _lock = new();

    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _items.Count;
            }
        }
    }

    public bool IsReadOnly => false;

    public IReadOnlyList<Activity> Snapshot()
    {
        lock (_lock)
        {
            return [.. _items];
        }
    }

    /// <summary>The spans of one trace (each once: two tracer providers of the process may both export one span).</summary>
    public IReadOnlyList<Activity> OfTrace(ActivityTraceId traceId)
        => [.. Snapshot().Where(a => a.TraceId == traceId).DistinctBy(a => a.SpanId)];

    public void Add(Activity item)
    {
        lock (_lock)
        {
            _items.Add(item);
        }
    }

    public void Clear()
    {
        lock (_lock)
        {
            _items.Clear();
        }
    }

    public bool Contains(Activity item)
    {
        lock (_lock)
        {
            return _items.Contains(item);
        }
    }

    public void CopyTo(Activity[] array, int arrayIndex)
    {
        lock (_lock)
        {
            _items.CopyTo(array, arrayIndex);
        }
    }

    public bool Remove(Activity item)
    {
        lock (_lock)
        {
            return _items.Remove(item);
        }
    }

    public IEnumerator<Activity> GetEnumerator() => Snapshot().GetEnumerator();

    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
}
