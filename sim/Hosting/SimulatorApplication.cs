using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Parley.Sim.Api;

namespace Parley.Sim.Hosting;

/// <summary>Builds the standalone simulator web application (Program.Main, tests and the silo's embedded
/// simulator all go through here).</summary>
public static class SimulatorApplication
{
    /// <summary>Where the standalone simulator listens when no --urls / ASPNETCORE_URLS is given.</summary>
    public const string DefaultUrl = "http://127.0.0.1:5555";

    private const string KestrelLogCategory = "Microsoft.AspNetCore.Server.Kestrel";

    /// <summary>A simulator configured from <paramref name="args"/>, environment variables and appsettings
    /// (section "Simulator"), then <paramref name="configure"/>. Pass <paramref name="timeProvider"/> to drive its
    /// clock from a test.</summary>
    public static WebApplication Build(string[] args, Action<SimulatorOptions>? configure = null, TimeProvider? timeProvider = null)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            Args = args,
            // appsettings*.json sit beside the binary; without this they are looked up in the working directory, so
            // `dotnet path/to/the.dll` started from elsewhere would silently run without them.
            ContentRootPath = AppContext.BaseDirectory,
        });
        if (string.IsNullOrEmpty(builder.Configuration[WebHostDefaults.ServerUrlsKey]))
        {
            builder.WebHost.UseUrls(DefaultUrl);
        }
        return Build(builder, builder.Configuration.GetSection(SimulatorOptions.SectionName), configure, timeProvider);
    }

    internal static WebApplication Build(WebApplicationBuilder builder, IConfiguration simulatorSection, Action<SimulatorOptions>? configure, TimeProvider? timeProvider)
    {
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.AddServerHeader = false);
        // ASP.NET Core logs two lines per request at Information; at benchmark rates that is most of the work.
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        // Kestrel logs each planned mid-stream cut (SimulatedConnectionCutException) as an application error; the
        // endpoint logs real failures itself.
        builder.Logging.AddFilter(KestrelLogCategory, LogLevel.Critical);
        if (timeProvider is not null)
        {
            builder.Services.AddSingleton(timeProvider);
        }
        builder.Services.AddSimulator(simulatorSection, configure);
        var app = builder.Build();
        app.MapSimulator();
        app.MapFallback("{*path}", context => SimErrors.WriteAsync(context, SimErrors.NotFound(context.Request)));
        return app;
    }
}
