using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Parley.Silo.Quotas;

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
            // Not a reason to take the silo out: it serves under the configured policy, and says which.
            var quotas = context.RequestServices.GetService<QuotaStatus>() is { } status ? QuotaStatus.ModeName(status.Mode) : null;
            return WriteAsync(context, reasons, quotas);
        });
        return app;
    }

    private static void AddStartupReasons(HttpContext context, List<string> reasons)
    {
        if (!context.RequestServices.GetRequiredService<SiloLifecycleState>().Started)
        {
            reasons.Add("starting: the host has not finished starting");
        }
        // Orleans' own view of this silo: Active once it has joined the cluster, and no longer once it leaves it or
        // the others have declared it dead.
        if (context.RequestServices.GetRequiredService<ISiloStatusOracle>().CurrentStatus != SiloStatus.Active)
        {
            reasons.Add("membership: the silo is not an active member of the cluster");
        }
    }

    private static Task WriteAsync(HttpContext context, IReadOnlyList<string> reasons, string? quotas = null)
    {
        var healthy = reasons.Count == 0;
        context.Response.StatusCode = healthy ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable;
        context.Response.Headers.CacheControl = "no-store";
        return context.Response.WriteAsJsonAsync(new HealthReport(healthy ? "healthy" : "unhealthy", reasons, quotas), HealthJsonContext.Default.HealthReport, cancellationToken: context.RequestAborted);
    }
}

/// <param name="Quotas">Readiness only: where admissions are decided (<c>cluster</c>, <c>in_process</c> under the
/// fail-open policy while Redis is unreachable, or <c>refusing</c> under fail-closed).</param>
public sealed record HealthReport(
    [property: JsonPropertyName("status")] string Status,
    [property: JsonPropertyName("reasons")] IReadOnlyList<string> Reasons,
    [property: JsonPropertyName("quotas"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Quotas = null);

[JsonSerializable(typeof(HealthReport))]
internal sealed partial class HealthJsonContext : JsonSerializerContext;
