using Microsoft.AspNetCore.Builder;

namespace Parley.Silo;

/// <summary>Builds the silo's web application. Program.Main and the tests both go through here, so a test silo is the
/// same process shape as a deployed one (real Kestrel on a loopback port).</summary>
public static class SiloApplication
{
    public static WebApplication Build(string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            Args = args,
            // appsettings*.json sit beside the binary; without this they are looked up in the working directory, so
            // `dotnet path/to/the.dll` started from elsewhere would silently run without them.
            ContentRootPath = AppContext.BaseDirectory,
        });
        configure?.Invoke(builder);
        // Before anything starts: a port in use is one clear line, not a stack trace after the credentials.
        Hosting.PortPreflight.Check(builder.Configuration);
        builder.AddParleySilo();
        var app = builder.Build();
        app.MapParleySilo();
        return app;
    }
}
