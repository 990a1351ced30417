using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Parley.Sim.Faults;
using Parley.Sim.Observability;

namespace Parley.Sim.Hosting;

/// <summary>A simulator running inside the current process on its own Kestrel listener (by default a free
/// loopback port): what tests and the silo's embedded mode use. Its configuration is isolated from the host
/// process's (no appsettings, environment variables or Kestrel endpoints leak in).</summary>
public sealed class SimulatorHost : IAsyncDisposable
{
    public const string LoopbackAnyPort = "http://127.0.0.1:0";
    public static readonly TimeSpan DefaultShutdownTimeout = TimeSpan.FromSeconds(5);

    private SimulatorHost(WebApplication app, Uri url)
    {
        App = app;
        Url = url;
    }

    public WebApplication App { get; }

    /// <summary>The root URL, e.g. http://127.0.0.1:40123/.</summary>
    public Uri Url { get; }

    /// <summary>The OpenAI-style base URL (the root plus "v1/").</summary>
    public Uri BaseUrl => new(Url, "v1/");

    public IServiceProvider Services => App.Services;

    public SimulatorState State => App.Services.GetRequiredService<SimulatorState>();

    /// <summary>The fault settings in force; <see cref="FaultControl.Set"/> changes them as POST /sim/faults does.</summary>
    public FaultControl Faults => App.Services.GetRequiredService<FaultControl>();

    public SimulatorOptions Options => App.Services.GetRequiredService<IOptions<SimulatorOptions>>().Value;

    /// <summary>Starts a simulator. Options come from <paramref name="configuration"/> (e.g. the silo's
    /// "Parley:Simulator" section) when given, then <paramref name="configure"/>.</summary>
    public static async Task<SimulatorHost> StartAsync(
        Action<SimulatorOptions>? configure = null,
        TimeProvider? timeProvider = null,
        IConfiguration? configuration = null,
        string url = LoopbackAnyPort,
        CancellationToken cancellationToken = default)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Configuration.Sources.Clear();
        builder.Configuration.AddInMemoryCollection(
        [
            new(WebHostDefaults.ServerUrlsKey, url),
            new("Logging:LogLevel:Default", "Warning"),
        ]);
        builder.Services.Configure<HostOptions>(host => host.ShutdownTimeout = DefaultShutdownTimeout);
        var section = configuration ?? builder.Configuration.GetSection(SimulatorOptions.SectionName);
        var app = SimulatorApplication.Build(builder, section, configure, timeProvider);
        try
        {
            await app.StartAsync(cancellationToken);
        }
        catch
        {
            await app.DisposeAsync();
            throw;
        }
        var address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First();
        return new SimulatorHost(app, new Uri(address.TrimEnd('/') + "/"));
    }

    public async ValueTask DisposeAsync()
    {
        await App.StopAsync();
        await App.DisposeAsync();
    }
}
