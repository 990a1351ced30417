using Microsoft.AspNetCore.Builder;

namespace Parley.ClientApi.Hosting;

/// <summary>Builds the front end's web application; Program.Main and the tests both go through here.</summary>
public static class FrontEndApplication
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
        builder.AddParleyFrontEnd();
        var app = builder.Build();
        app.MapParleyFrontEnd();
        return app;
    }
}
