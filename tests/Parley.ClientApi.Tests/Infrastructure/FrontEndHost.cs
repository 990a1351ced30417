using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Parley.ClientApi.Hosting;

namespace Parley.ClientApi.Tests.Infrastructure;

/// <summary>The real front end (<see cref="FrontEndApplication"/>) on a loopback port, with an HttpClient for it.</summary>
public sealed class FrontEndHost : IAsyncDisposable
{
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

    public static Task<FrontEndHost> StartWithSilosAsync(params string[] silos)
    {
        var settings = new Dictionary<string, string?>
        {
            // Short, so a test silo that is not listening is skipped at once.
            ["Parley:FrontEnd:ConnectTimeout"] = "00:00:01",
        };
        for (var i = 0; i < silos.Length; i++)
        {
            settings[$"Parley:FrontEnd:Silos:{i}"] = silos[i];
        }
        return StartAsync(settings);
    }

    public static async Task<FrontEndHost> StartAsync(IDictionary<string, string?> settings)
    {
        var app = FrontEndApplication.Build([], builder =>
        {
            builder.WebHost.UseUrls("http://127.0.0.1:0");
            builder.Logging.SetMinimumLevel(LogLevel.Warning);
            builder.Configuration.AddInMemoryCollection(settings);
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

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
