using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Parley.Silo.Api;

namespace Parley.Silo.Providers;

/// <summary><c>GET /v1/models</c> and <c>GET /v1/models/{id}</c>, in OpenAI's shape.</summary>
public static class ModelEndpoints
{
    /// <summary>owned_by of a name served by request rules alone.</summary>
    public const string RoutedOwnedBy = "parley-router";

    public static RouteGroupBuilder MapModels(this RouteGroupBuilder group)
    {
        // Route handlers, not RequestDelegates (endpoints of the latter are left out of the OpenAPI document).
        group.MapGet("/models", static (HttpContext context, ModelCatalog catalog) =>
        {
            var routed = catalog.Rules.Virtual;
            var data = new ModelInfo[catalog.Models.Count + routed.Count];
            for (var i = 0; i < catalog.Models.Count; i++)
            {
                data[i] = ModelInfo.From(catalog.Models[i]);
            }
            // Names served by request rules alone are models to a client too.
            for (var i = 0; i < routed.Count; i++)
            {
                catalog.Rules.TryGetDefault(routed[i], out var target);
                data[catalog.Models.Count + i] = new ModelInfo(routed[i], target!.Created, RoutedOwnedBy);
            }
            return context.Response.WriteAsJsonAsync(new ModelList(data), ProviderJsonContext.Default.ModelList, cancellationToken: context.RequestAborted);
        }).Produces<ModelList>();
        group.MapGet("/models/{id}", static (string id, HttpContext context, ModelCatalog catalog) =>
        {
            if (!catalog.TryGetModel(id, out var model))
            {
                if (catalog.Rules.TryGetDefault(id, out var target))
                {
                    return context.Response.WriteAsJsonAsync(new ModelInfo(id, target.Created, RoutedOwnedBy), ProviderJsonContext.Default.ModelInfo,
                        cancellationToken: context.RequestAborted);
                }
                return ApiErrors.WriteAsync(context, StatusCodes.Status404NotFound,
                    $"The model `{id}` does not exist or you do not have access to it.", OpenAIErrorTypes.InvalidRequest, "model_not_found", "model");
            }
            return context.Response.WriteAsJsonAsync(ModelInfo.From(model), ProviderJsonContext.Default.ModelInfo, cancellationToken: context.RequestAborted);
        }).Produces<ModelInfo>();
        return group;
    }
}

public sealed record ModelList(
    [property: JsonPropertyName("data"), JsonPropertyOrder(1)] IReadOnlyList<ModelInfo> Data)
{
    [JsonPropertyName("object"), JsonPropertyOrder(0)]
    public string Object => "list";
}

public sealed record ModelInfo(
    [property: JsonPropertyName("id"), JsonPropertyOrder(0)] string Id,
    [property: JsonPropertyName("created"), JsonPropertyOrder(2)] long Created,
    [property: JsonPropertyName("owned_by"), JsonPropertyOrder(3)] string OwnedBy)
{
    [JsonPropertyName("object"), JsonPropertyOrder(1)]
    public string Object => "model";

    internal static ModelInfo From(CatalogModel model) => new(model.Id, model.Created, model.OwnedBy);
}

[JsonSerializable(typeof(ModelList))]
[JsonSerializable(typeof(ModelInfo))]
internal sealed partial class ProviderJsonContext : JsonSerializerContext;
