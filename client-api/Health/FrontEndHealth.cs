using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Parley.ClientApi.Routing;

namespace Parley.ClientApi.Health;

/// <summary>The front end's own probes. Live and startup only say the process serves HTTP; ready needs at least one
/// live silo, so a front end with nowhere to send requests is taken out of its Service.</summary>
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
        app.MapGet(ReadyPath, (ISiloDirectory directory) => directory.Current.Count > 0
            ? Results.Text(Healthy)
            : Results.Text(Unhealthy, statusCode: StatusCodes.Status503ServiceUnavailable));
        return app;
    }
}
