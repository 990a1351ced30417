using System.ComponentModel.DataAnnotations;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Options;
using Parley.GrainInterfaces.Policy;
using Parley.Policy.Rules;
using Parley.Silo.Api;
using Parley.Silo.Auth.Store;
using Parley.Silo.Chat;
using Parley.Silo.Cluster;
using Parley.Silo.OpenApi;

namespace Parley.Silo.Policy;

/// <summary>The admin routes of the policy: the configured policies (read-only: policies are configuration, reviewed
/// and versioned with it), and which policy a user or a key has.</summary>
internal static class PolicyAdminEndpoints
{
    private const string UserNotFoundCode = "user_not_found";
    private const string KeyNotFoundCode = "key_not_found";

    public static RouteGroupBuilder Map(RouteGroupBuilder admin)
    {
        admin.MapGet("/policies", ListPolicies).Produces<PolicyListResource>();
        admin.MapGet("/users/{userId}/policy", GetAssignmentsAsync).Produces<PolicyAssignmentResource>();
        admin.MapPut("/users/{userId}/policy", SetUserPolicyAsync).AcceptsJson<SetPolicyRequest>().Produces<PolicyAssignmentResource>();
        admin.MapPut("/keys/{keyId}/policy", SetKeyPolicyAsync).AcceptsJson<SetPolicyRequest>().Produces<PolicyAssignmentResource>();
        return admin;
    }

    private static IResult ListPolicies(PolicyCatalog catalog, IOptions<PolicyOptions> options)
    {
        var policies = catalog.Policies.Values.OrderBy(p => p.Name, StringComparer.Ordinal).Select(p => new PolicyResource(p.Name,
            p.Rules.Select(r => new PolicyRuleResource(r.Id, r.Detector?.ToString(), r.Keywords.Count, PolicyNames.Of(r.Action), PolicyNames.Of(r.OutputAction),
                r.MaskStyle == MaskStyle.Partial ? "partial" : "label", r.Label)).ToList())).ToList();
        var value = options.Value;
        return Results.Json(new PolicyListResource(policies, options.Value.Enabled, string.IsNullOrEmpty(value.Default) ? null : value.Default,
            new Dictionary<string, string>(value.Models)), PolicyJsonContext.Relaxed.PolicyListResource);
    }

    private static async Task<IResult> GetAssignmentsAsync(string userId, HttpContext context, IIdentityStore identities, PolicyAssignmentCache cache,
        IGrainFactory grains, ClusterCalls clusterCalls, PolicyCatalog catalog)
    {
        if (await identities.GetUserAsync(userId, context.RequestAborted) is null)
        {
            return UserNotFound(userId);
        }
        var grain = grains.GetGrain<IPolicyAssignmentGrain>(userId);
        var assignments = await clusterCalls.RunAsync(() => grain.GetAsync(), context.RequestAborted);
        cache.Put(userId, assignments);
        return Assignments(userId, assignments, catalog);
    }

    private static async Task<IResult> SetUserPolicyAsync(string userId, HttpContext context, IIdentityStore identities, PolicyAssignmentCache cache,
        IGrainFactory grains, ClusterCalls clusterCalls, PolicyCatalog catalog, IOptions<ChatLimitsOptions> limits)
    {
        var (policy, error) = await ReadPolicyAsync(context, catalog, limits.Value);
        if (error is not null)
        {
            return error.ToResult();
        }
        if (await identities.GetUserAsync(userId, context.RequestAborted) is null)
        {
            return UserNotFound(userId);
        }
        // Setting a policy is idempotent: safe to repeat while the cluster changes.
        var grain = grains.GetGrain<IPolicyAssignmentGrain>(userId);
        var assignments = await clusterCalls.RunAsync(() => grain.SetUserPolicyAsync(policy), context.RequestAborted);
        cache.Put(userId, assignments);
        return Assignments(userId, assignments, catalog);
    }

    private static async Task<IResult> SetKeyPolicyAsync(string keyId, HttpContext context, IIdentityStore identities, PolicyAssignmentCache cache,
        IGrainFactory grains, ClusterCalls clusterCalls, PolicyCatalog catalog, IOptions<ChatLimitsOptions> limits)
    {
        var (policy, error) = await ReadPolicyAsync(context, catalog, limits.Value);
        if (error is not null)
        {
            return error.ToResult();
        }
        var key = await identities.GetKeyAsync(keyId, context.RequestAborted);
        if (key is null || key.IsAdmin)
        {
            return ApiErrors.NotFound($"No user API key with id '{keyId}'.", KeyNotFoundCode);
        }
        var grain = grains.GetGrain<IPolicyAssignmentGrain>(key.UserId);
        var assignments = await clusterCalls.RunAsync(() => grain.SetKeyPolicyAsync(keyId, policy), context.RequestAborted);
        cache.Put(key.UserId, assignments);
        return Assignments(key.UserId, assignments, catalog);
    }

    /// <summary><c>{"policy": "name"}</c> to set, <c>{"policy": null}</c> to clear.</summary>
    private static async Task<(string? Policy, ApiError? Error)> ReadPolicyAsync(HttpContext context, PolicyCatalog catalog, ChatLimitsOptions limits)
    {
        using var body = await JsonBodyReader.ReadObjectAsync(context, limits.MaxRequestBodyBytes);
        if (body.Error is not null)
        {
            return (null, body.Error);
        }
        if (body.Root is not { } root || !root.TryGetProperty("policy"u8, out var value))
        {
            return (null, InputErrors.Missing("policy"));
        }
        foreach (var property in root.EnumerateObject())
        {
            if (property.Name != "policy")
            {
                return (null, InputErrors.Unknown(property.Name));
            }
        }
        if (value.ValueKind == JsonValueKind.Null)
        {
            return (null, null);
        }
        if (value.ValueKind != JsonValueKind.String)
        {
            return (null, InputErrors.WrongType("policy", "a string or null", value.ValueKind));
        }
        var name = value.GetString()!;
        return catalog.Contains(name)
            ? (name, null)
            : (null, InputErrors.InvalidValue("policy", $"Invalid 'policy': no policy named '{name}' is configured (see GET /admin/policies)."));
    }

    private static IResult Assignments(string userId, PolicyAssignments assignments, PolicyCatalog catalog)
        => Results.Json(new PolicyAssignmentResource(userId, assignments.UserPolicy, new Dictionary<string, string>(assignments.KeyPolicies),
            catalog.IdentityPolicy(assignments.UserPolicy)), PolicyJsonContext.Relaxed.PolicyAssignmentResource);

    private static IResult UserNotFound(string userId) => ApiErrors.NotFound($"No user with id '{userId}'.", UserNotFoundCode);
}

public sealed record PolicyRuleResource(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("detector")] string? Detector,
    [property: JsonPropertyName("keywords")] int Keywords,
    [property: JsonPropertyName("action")] string Action,
    [property: JsonPropertyName("output_action")] string OutputAction,
    [property: JsonPropertyName("mask")] string Mask,
    [property: JsonPropertyName("label")] string Label);

public sealed record PolicyResource(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("rules")] IReadOnlyList<PolicyRuleResource> Rules)
{
    [JsonPropertyName("object")]
    [JsonPropertyOrder(-1)]
    [AllowedValues("policy")]
    public string Object => "policy";
}

public sealed record PolicyListResource(
    [property: JsonPropertyName("data")] IReadOnlyList<PolicyResource> Data,
    [property: JsonPropertyName("enabled")] bool Enabled,
    [property: JsonPropertyName("default")] string? Default,
    [property: JsonPropertyName("models")] IReadOnlyDictionary<string, string> Models)
{
    [JsonPropertyName("object")]
    [JsonPropertyOrder(-1)]
    [AllowedValues("list")]
    public string Object => "list";
}

/// <param name="Policy">The user's own policy (null: none set).</param>
/// <param name="Keys">Key id → the key's own policy.</param>
/// <param name="Effective">What the user's keys without their own policy get: the user's, else the default.</param>
public sealed record PolicyAssignmentResource(
    [property: JsonPropertyName("user_id")] string UserId,
    [property: JsonPropertyName("policy")] string? Policy,
    [property: JsonPropertyName("keys")] IReadOnlyDictionary<string, string> Keys,
    [property: JsonPropertyName("effective")] string? Effective)
{
    [JsonPropertyName("object")]
    [JsonPropertyOrder(-1)]
    [AllowedValues("policy_assignment")]
    public string Object => "policy_assignment";
}

[JsonSerializable(typeof(PolicyListResource))]
[JsonSerializable(typeof(PolicyAssignmentResource))]
internal sealed partial class PolicyJsonContext : JsonSerializerContext
{
    public static PolicyJsonContext Relaxed { get; } = new(new JsonSerializerOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
}
