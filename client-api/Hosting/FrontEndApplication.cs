using Microsoft.AspNetCore.Builder;

namespace Parley.ClientApi.Hosting;

/// <summary>Builds the front end's web application; Program.Main and the tests both go through here.</summary>
public static class FrontEndApplication
{
    public static WebApplication Build(string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        var builder = WebApplication.CreateSlimBuilder(args);
        configure?.Invoke(builder);
        builder.AddParleyFrontEnd();
        var app = builder.Build();
        app.MapParleyFrontEnd();
        return app;
    }
}
