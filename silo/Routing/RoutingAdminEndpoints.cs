using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Polly.CircuitBreaker;
using Parley.Silo.Providers;

namespace Parley.Silo.Routing;

/// <summary><c>GET /admin/deployments</c>: every deployment with what this silo knows of its health (circuit, time to
/// first byte, calls in flight), and every model group with its weights, priorities and windows. Circuits are per silo.</summary>
public static class RoutingAdminEndpoints
{
    public static RouteGroupBuilder MapRoutingAdmin(this RouteGroupBuilder admin)
    {
        admin.MapGet("/deployments", static (HttpContext context) =>
        {
            var catalog = context.RequestServices.GetRequiredService<ModelCatalog>();
            var time = context.RequestServices.GetRequiredService<TimeProvider>();
            return Results.Json(Describe(catalog, time.GetUtcNow()), RoutingAdminJsonContext.Default.DeploymentList);
        }).Produces<DeploymentList>();
        return admin;
    }

    /// <summary>Every deployment as this silo knows it at <paramref name="now"/>, and every model group (also the console's).</summary>
    internal static DeploymentList Describe(ModelCatalog catalog, DateTimeOffset now)
    {
        var deployments = catalog.Deployments.Select(d => new DeploymentResource(d.Name, d.Provider.Name, d.Provider.Options.Type, d.Model.Name, d.Region,
            CircuitName(d.Circuit), d.IsOpen(now) ? d.OpenUntil : null, Math.Round(d.LatencyMs, 3), d.InFlight)).ToList();
        var models = catalog.Models.Select(m => new ModelGroupResource(m.Id, m.Strategy == RoutingStrategy.Weighted ? "weighted" : "latency_aware",
            m.ContextWindow, m.ContentPolicyFallback?.Id,
            [.. m.Members.Select(x => new GroupMemberResource(x.Deployment.Name, x.Weight, x.Priority, x.ContextWindow))])).ToList();
        return new DeploymentList(deployments, models);
    }

    private static string CircuitName(CircuitState state) => state switch
    {
        CircuitState.Open => "open",
        CircuitState.HalfOpen => "half_open",
        CircuitState.Isolated => "isolated",
        _ => "closed",
    };
}

public sealed record DeploymentList(
    [property: JsonPropertyName("data")] IReadOnlyList<DeploymentResource> Data,
    [property: JsonPropertyName("models")] IReadOnlyList<ModelGroupResource> Models)
{
    [JsonPropertyName("object"), JsonPropertyOrder(-1)]
    public string Object => "list";
}

public sealed record DeploymentResource(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("provider")] string Provider,
    [property: JsonPropertyName("type")] string Type,
    [property: JsonPropertyName("upstream_model")] string UpstreamModel,
    [property: JsonPropertyName("region")] string? Region,
    [property: JsonPropertyName("circuit")] string Circuit,
    [property: JsonPropertyName("open_until")] DateTimeOffset? OpenUntil,
    [property: JsonPropertyName("latency_ms")] double LatencyMs,
    [property: JsonPropertyName("in_flight")] int InFlight);

public sealed record ModelGroupResource(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("strategy")] string Strategy,
    [property: JsonPropertyName("context_window")] int? ContextWindow,
    [property: JsonPropertyName("content_policy_fallback")] string? ContentPolicyFallback,
    [property: JsonPropertyName("deployments")] IReadOnlyList<GroupMemberResource> Deployments);

public sealed record GroupMemberResource(
    [property: JsonPropertyName("deployment")] string Deployment,
    [property: JsonPropertyName("weight")] int Weight,
    [property: JsonPropertyName("priority")] int Priority,
    [property: JsonPropertyName("context_window")] int? ContextWindow);

[JsonSerializable(typeof(DeploymentList))]
internal sealed partial class RoutingAdminJsonContext : JsonSerializerContext;
