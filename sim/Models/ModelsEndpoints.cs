using Microsoft.AspNetCore.Http;
using Parley.Sim.Api;
using Parley.Sim.Auth;

namespace Parley.Sim.Models;

/// <summary>GET /v1/models and GET /v1/models/{id}.</summary>
internal sealed class ModelsEndpoints(ModelCatalog catalog, SimulatorAuthenticator authenticator)
{
    public const string OwnedBy = "parley-sim";
    // A fixed creation time (2025-01-01), so listings are reproducible.
    public const long CreatedUnixSeconds = 1735689600;

    public Task ListAsync(HttpContext context)
    {
        if (authenticator.Check(context.Request) is { } error)
        {
            return SimErrors.WriteAsync(context, error);
        }
        var list = new ModelList("list", [.. catalog.Ids.Select(Describe)]);
        return context.Response.WriteAsJsonAsync(list, SimJsonContext.Default.ModelList, "application/json", context.RequestAborted);
    }

    public Task GetAsync(HttpContext context)
    {
        if (authenticator.Check(context.Request) is { } error)
        {
            return SimErrors.WriteAsync(context, error);
        }
        var id = context.Request.RouteValues["id"] as string ?? "";
        if (!catalog.Contains(id))
        {
            return SimErrors.WriteAsync(context, SimErrors.ModelNotFound(id));
        }
        return context.Response.WriteAsJsonAsync(Describe(id), SimJsonContext.Default.ModelInfo, "application/json", context.RequestAborted);
    }

    private static ModelInfo Describe(string id) => new(id, "model", CreatedUnixSeconds, OwnedBy);
}
