using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Parley.ClientApi.Health;
using Parley.ClientApi.Hosting;
using Parley.Testing.Logs;

namespace Parley.ClientApi.Tests.Infrastructure;

/// <summary>The real front end (<see cref="FrontEndApplication"/>) on a loopback port, with an HttpClient for it.</summary>
public sealed class FrontEndHost : IAsyncDisposable
{
    private static readonly TimeSpan ConvergeTimeout = TimeSpan.FromSeconds(20);
    private readonly WebApplication _app;

    private FrontEndHost(WebApplication app, string url)
    {
        _app = app;
        Url = url;
        Client = new HttpClient { BaseAddress = new Uri(url), Timeout = TimeSpan.FromSeconds(30) };
    }

    public string Url { get; }

    public HttpClient Client { get; }

    public IServiceProvider Services => _app.Services;

    public ISiloView View => _app.Services.GetRequiredService<ISiloView>();

    public static Task<FrontEndHost> StartWithSilosAsync(params string[] silos) => StartWithSilosAsync(silos, new Dictionary<string, string?>());

    public static Task<FrontEndHost> StartWithSilosAsync(string[] silos, IDictionary<string, string?> extra)
    {
        var settings = new Dictionary<string, string?>();
        for (var i = 0; i < silos.Length; i++)
        {
            settings[$"Parley:FrontEnd:Silos:{i}"] = silos[i];
        }
        foreach (var (key, value) in extra)
        {
            settings[key] = value;
        }
        return StartAsync(settings);
    }

    public static async Task<FrontEndHost> StartAsync(IDictionary<string, string?> settings, Action<IServiceCollection>? services = null)
    {
        // No management port: these tests never scrape it, and a port picked free beforehand can be taken by another
        // test's ephemeral bind before Kestrel binds it (tests/Parley.Telemetry.Tests scrapes a front end).
        settings = new Dictionary<string, string?>(settings);
        settings.TryAdd("Parley:Telemetry:Metrics:Enabled", "false");
        // Generous: the test backends are on loopback, where a silo that is not listening refuses at once, so these
        // bounds only ever fire on a machine too busy to answer in time. With 1 s (this host's connect timeout then, the
        // front end's default probe timeout) a request in a full run on a loaded 2-core machine went to its key's
        // second silo.
        settings.TryAdd("Parley:FrontEnd:ConnectTimeout", "00:00:30");
        settings.TryAdd("Parley:FrontEnd:HealthCheckTimeout", "00:00:30");
        var app = FrontEndApplication.Build([], builder =>
        {
            builder.WebHost.UseUrls("http://127.0.0.1:0");
            builder.Logging.SetMinimumLevel(LogLevel.Warning);
            builder.Logging.AddTestLogFile();
            builder.Configuration.AddInMemoryCollection(settings);
            services?.Invoke(builder.Services);
        });
        try
        {
            await app.StartAsync();
        }
        catch
        {
            await app.DisposeAsync();
            throw;
        }
        return new FrontEndHost(app, TestBackend.ListeningUrl(app));
    }

    /// <summary>Polls the front end's view of the silos until <paramref name="condition"/> holds (or fails the test
    /// after a generous deadline: this machine is shared).</summary>
    public async Task<IReadOnlyList<SiloState>> WaitForSilosAsync(Func<IReadOnlyList<SiloState>, bool> condition, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? ConvergeTimeout);
        while (true)
        {
            var silos = View.Silos;
            if (condition(silos))
            {
                return silos;
            }
            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail("The front end did not converge; it sees: " + string.Join(", ", silos));
            }
            await Task.Delay(20);
        }
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
