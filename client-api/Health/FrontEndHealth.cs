using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Parley.ClientApi.Hosting;

namespace Parley.ClientApi.Health;

/// <summary>The front end's own probes. Live and startup only say the process serves HTTP. Ready needs at least one
/// known silo, so a front end with nowhere to send requests is taken out of its Service; its body counts the silos
/// (<c>{"status":"Healthy","silos":3,"healthy":3,"inRotation":3}</c>), which is how a test or an operator sees what
/// the front end sees without reaching into the process.</summary>
public static class FrontEndHealth
{
    public const string LivePath = "/health/live";
    public const string ReadyPath = "/health/ready";
    public const string StartupPath = "/health/startup";
    private const string Healthy = "Healthy";
    private const string Unhealthy = "Unhealthy";

    public static IEndpointRouteBuilder MapFrontEndHealth(this IEndpointRouteBuilder app)
    {
        app.MapGet(LivePath, () => Results.Text(Healthy));
        app.MapGet(StartupPath, () => Results.Text(Healthy));
        app.MapGet(ReadyPath, (ISiloView view) => Ready(view.Silos));
        return app;
    }

    private static IResult Ready(IReadOnlyList<SiloState> silos)
    {
        var healthy = 0;
        var inRotation = 0;
        foreach (var silo in silos)
        {
            healthy += silo.IsHealthy ? 1 : 0;
            inRotation += silo.IsInRotation ? 1 : 0;
        }
        var ready = silos.Count > 0;
        var body = new ReadyBody(ready ? Healthy : Unhealthy, silos.Count, healthy, inRotation);
        return Results.Json(body, FrontEndJsonContext.Default.ReadyBody,
            statusCode: ready ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable);
    }
}
