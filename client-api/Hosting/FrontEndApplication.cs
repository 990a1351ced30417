using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Parley.ClientApi.Hosting;

/// <summary>Builds the front end's web application; Program.Main and the tests both go through here.</summary>
public static class FrontEndApplication
{
    public const string InlineSocketCompletionsVariable = "DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS";

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

    /// <summary>In the front end's own process, before it opens a socket: socket completions run on the event threads
    /// (<see cref="FrontEndOptions.InlineCompletions"/>). The runtime reads the variable once, when the first socket
    /// registers with it; tests that host the front end beside other code leave their process as it is.</summary>
    public static void UseInlineSocketCompletions(WebApplication app)
    {
        if (app.Services.GetRequiredService<IOptions<FrontEndOptions>>().Value.InlineCompletions)
        {
            Environment.SetEnvironmentVariable(InlineSocketCompletionsVariable, "1");
        }
    }
}
