using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Parley.Runtime.Membership;

namespace Parley.Silo.Health;

/// <summary>Kubernetes probes. They carry no auth metadata, so they answer without a key.</summary>
public static class HealthExtensions
{
    public const string LivePath = "/health/live";
    public const string StartupPath = "/health/startup";
    public const string ReadyPath = "/health/ready";

    public static WebApplicationBuilder AddParleyHealth(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton<SiloLifecycleState>();
        builder.Services.AddHostedService(static sp => sp.GetRequiredService<SiloLifecycleState>());
        return builder;
    }

    public static IEndpointRouteBuilder MapHealth(this IEndpointRouteBuilder app)
    {
        // Liveness: the process answers. Nothing else, or a Redis outage would get every silo restarted.
        app.MapGet(LivePath, static context => WriteAsync(context, []));
        app.MapGet(StartupPath, static context =>
        {
            var reasons = new List<string>(2);
            AddStartupReasons(context, reasons);
            return WriteAsync(context, reasons);
        });
        app.MapGet(ReadyPath, static context =>
        {
            var reasons = new List<string>(3);
            AddStartupReasons(context, reasons);
            if (context.RequestServices.GetRequiredService<SiloLifecycleState>().Draining)
            {
                reasons.Add("draining: the silo is shutting down");
            }
            if (!context.RequestServices.GetRequiredService<ILocalSiloMembership>().IsHealthy)
            {
                reasons.Add("membership: the silo could not renew its membership row in time");
            }
            return WriteAsync(context, reasons);
        });
        return app;
    }

    private static void AddStartupReasons(HttpContext context, List<string> reasons)
    {
        if (!context.RequestServices.GetRequiredService<SiloLifecycleState>().Started)
        {
            reasons.Add("starting: the host has not finished starting");
        }
        var self = context.RequestServices.GetRequiredService<ILocalSiloMembership>().Self;
        if (self is null || self.Status is SiloStatus.None or SiloStatus.Created or SiloStatus.Joining)
        {
            reasons.Add("membership: the silo has not joined the cluster");
        }
    }

    private static Task WriteAsync(HttpContext context, IReadOnlyList<string> reasons)
    {
        var healthy = reasons.Count == 0;
        context.Response.StatusCode = healthy ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable;
        context.Response.Headers.CacheControl = "no-store";
        return context.Response.WriteAsJsonAsync(new HealthReport(healthy ? "healthy" : "unhealthy", reasons), HealthJsonContext.Default.HealthReport, cancellationToken: context.RequestAborted);
    }
}

public sealed record HealthReport(
    [property: JsonPropertyName("status")] string Status,
    [property: JsonPropertyName("reasons")] IReadOnlyList<string> Reasons);

[JsonSerializable(typeof(HealthReport))]
internal sealed partial class HealthJsonContext : JsonSerializerContext;
