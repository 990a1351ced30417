using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Parley.GrainInterfaces.UpstreamKeys;
using Parley.Silo.Api;
using Parley.Silo.OpenApi;

namespace Parley.Silo.Providers;

/// <summary><c>GET /admin/upstream-keys</c> (every provider's keys with their limits and health, never a secret) and
/// <c>POST /admin/upstream-keys/{provider}/{keyId}/enable</c> (puts a disabled, blocked or cooling key back).</summary>
public static class UpstreamKeyAdminEndpoints
{
    private const string NotFoundCode = "upstream_key_not_found";

    public static RouteGroupBuilder MapUpstreamKeyAdmin(this RouteGroupBuilder admin)
    {
        admin.MapGet("/upstream-keys", ListAsync).Produces<UpstreamKeyList>();
        admin.MapPost("/upstream-keys/{provider}/{keyId}/enable", EnableAsync).NoRequestBody().Produces<UpstreamKeyResource>();
        return admin;
    }

    private static async Task<IResult> ListAsync(ModelCatalog catalog)
    {
        var keys = new List<UpstreamKeyResource>();
        foreach (var pool in catalog.KeyPools)
        {
            foreach (var key in pool.Keys)
            {
                var health = await key.Grain.GetHealthAsync().ConfigureAwait(false);
                UpstreamKeyPool.MarkDisabled(key, health.State == UpstreamKeyState.Disabled);
                keys.Add(UpstreamKeyResource.From(pool.Provider, key, health));
            }
        }
        return Results.Json(new UpstreamKeyList(keys), UpstreamKeyAdminJsonContext.Default.UpstreamKeyList);
    }

    /// <summary>Also the console's re-enable action.</summary>
    internal static async Task<IResult> EnableAsync(string provider, string keyId, ModelCatalog catalog)
    {
        var pool = catalog.KeyPools.FirstOrDefault(p => p.Provider == provider);
        var key = pool?.Keys.FirstOrDefault(k => k.Id == keyId);
        if (pool is null || key is null)
        {
            return ApiErrors.NotFound($"No upstream key '{keyId}' in provider '{provider}'.", NotFoundCode);
        }
        var health = await key.Grain.EnableAsync().ConfigureAwait(false);
        // Every silo's next acquisition reads the store; this also tells this silo's unpaced fallback at once.
        UpstreamKeyPool.MarkDisabled(key, health.State == UpstreamKeyState.Disabled);
        return Results.Json(UpstreamKeyResource.From(provider, key, health), UpstreamKeyAdminJsonContext.Default.UpstreamKeyResource);
    }
}

public sealed record UpstreamKeyResource(
    [property: JsonPropertyName("provider")] string Provider,
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("weight")] int Weight,
    [property: JsonPropertyName("requests_per_minute")] int? RequestsPerMinute,
    [property: JsonPropertyName("tokens_per_minute")] int? TokensPerMinute,
    [property: JsonPropertyName("max_concurrent")] int? MaxConcurrent,
    [property: JsonPropertyName("state")] string State,
    [property: JsonPropertyName("until")] DateTimeOffset? Until,
    [property: JsonPropertyName("reason")] string? Reason)
{
    [JsonPropertyName("object")]
    [JsonPropertyOrder(-1)]
    public string Object => "upstream_key";

    internal static UpstreamKeyResource From(string provider, PoolKey key, UpstreamKeyHealth health)
        => new(provider, key.Id, key.Options.Weight, key.Options.RequestsPerMinute, key.Options.TokensPerMinute, key.Options.MaxConcurrent,
            health.StateName, health.Until, health.Reason);
}

public sealed record UpstreamKeyList([property: JsonPropertyName("data")] IReadOnlyList<UpstreamKeyResource> Data)
{
    [JsonPropertyName("object")]
    [JsonPropertyOrder(-1)]
    public string Object => "list";
}

[JsonSerializable(typeof(UpstreamKeyResource))]
[JsonSerializable(typeof(UpstreamKeyList))]
internal sealed partial class UpstreamKeyAdminJsonContext : JsonSerializerContext;
