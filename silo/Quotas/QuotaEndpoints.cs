using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Options;
using Parley.GrainInterfaces.Quotas;
using Parley.Grains.Quotas;
using Parley.Silo.Api;
using Parley.Silo.Auth;
using Parley.Silo.Auth.Store;
using Parley.Silo.Chat;
using Parley.Silo.Cluster;
using Parley.Silo.OpenApi;
using Parley.Grains.Redis;

namespace Parley.Silo.Quotas;

/// <summary><c>GET /v1/usage</c> (the caller's own) and the admin routes that set and show limits and usage.</summary>
internal static class QuotaEndpoints
{
    private const string UserNotFoundCode = "user_not_found";
    private const string KeyNotFoundCode = "key_not_found";

    public static RouteGroupBuilder MapPublic(RouteGroupBuilder v1)
    {
        v1.MapGet("/usage", GetOwnUsageAsync).Produces<UsageResource>();
        return v1;
    }

    public static RouteGroupBuilder MapAdmin(RouteGroupBuilder admin)
    {
        admin.MapGet("/users/{userId}/usage", GetUserUsageAsync).Produces<UsageResource>()
            .AcceptsQuery(new QueryParameter("key_id", "One of the user's keys: its own limits and use are shown beside the user's."));
        admin.MapGet("/users/{userId}/limits", GetLimitsAsync).Produces<UserLimitsResource>();
        admin.MapPut("/users/{userId}/limits", SetUserLimitsAsync).AcceptsJson<LimitsRequest>(optional: true).Produces<UserLimitsResource>();
        admin.MapPut("/keys/{keyId}/limits", SetKeyLimitsAsync).AcceptsJson<LimitsRequest>(optional: true).Produces<UserLimitsResource>();
        return admin;
    }

    private static async Task<IResult> GetOwnUsageAsync(HttpContext context, QuotaUsageReader reader)
    {
        var caller = context.GetCaller();
        return await reader.ReadAsync(caller.UserId, caller.KeyId.Length == 0 ? null : caller.KeyId, context.RequestAborted);
    }

    private static async Task<IResult> GetUserUsageAsync(string userId, HttpContext context, IIdentityStore identities, QuotaUsageReader reader)
    {
        if (await identities.GetUserAsync(userId, context.RequestAborted) is null)
        {
            return UserNotFound(userId);
        }
        var keyId = context.Request.Query["key_id"].ToString();
        return await reader.ReadAsync(userId, keyId.Length == 0 ? null : keyId, context.RequestAborted);
    }

    private static async Task<IResult> GetLimitsAsync(string userId, HttpContext context, IIdentityStore identities, IGrainFactory grains,
        ClusterCalls clusterCalls, IOptions<QuotaOptions> options)
    {
        if (await identities.GetUserAsync(userId, context.RequestAborted) is null)
        {
            return UserNotFound(userId);
        }
        var grain = grains.GetGrain<IUserGrain>(userId);
        return Limits(userId, await clusterCalls.RunAsync(() => grain.GetSettingsAsync(), context.RequestAborted), options.Value);
    }

    /// <summary>Also the console's action (same validation, same grain call, same cache update).</summary>
    internal static async Task<IResult> SetUserLimitsAsync(string userId, HttpContext context, IIdentityStore identities, IGrainFactory grains,
        ClusterCalls clusterCalls, QuotaSettingsCache cache, IOptions<QuotaOptions> options, IOptions<ChatLimitsOptions> bodyLimits)
    {
        var (limits, error) = await ReadLimitsAsync(context, bodyLimits.Value);
        if (error is not null)
        {
            return error.ToResult();
        }
        if (await identities.GetUserAsync(userId, context.RequestAborted) is null)
        {
            return UserNotFound(userId);
        }
        // Setting limits is idempotent: safe to repeat while the cluster changes.
        var grain = grains.GetGrain<IUserGrain>(userId);
        var settings = await clusterCalls.RunAsync(() => grain.SetUserLimitsAsync(limits!), context.RequestAborted);
        cache.Put(userId, settings);
        return Limits(userId, settings, options.Value);
    }

    private static async Task<IResult> SetKeyLimitsAsync(string keyId, HttpContext context, IIdentityStore identities, IGrainFactory grains,
        ClusterCalls clusterCalls, QuotaSettingsCache cache, IOptions<QuotaOptions> options, IOptions<ChatLimitsOptions> bodyLimits)
    {
        var (limits, error) = await ReadLimitsAsync(context, bodyLimits.Value);
        if (error is not null)
        {
            return error.ToResult();
        }
        var key = await identities.GetKeyAsync(keyId, context.RequestAborted);
        if (key is null || key.IsAdmin)
        {
            return ApiErrors.NotFound($"No user API key with id '{keyId}'.", KeyNotFoundCode);
        }
        var grain = grains.GetGrain<IUserGrain>(key.UserId);
        var settings = await clusterCalls.RunAsync(() => grain.SetKeyLimitsAsync(keyId, limits!), context.RequestAborted);
        cache.Put(key.UserId, settings);
        return Limits(key.UserId, settings, options.Value);
    }

    private static async Task<(QuotaLimits? Limits, ApiError? Error)> ReadLimitsAsync(HttpContext context, ChatLimitsOptions bodyLimits)
    {
        using var body = await JsonBodyReader.ReadObjectAsync(context, bodyLimits.MaxRequestBodyBytes);
        if (body.Error is not null)
        {
            return (null, body.Error);
        }
        return body.Root is { } root ? QuotaLimitsParser.Parse(root) : (QuotaLimits.None, null);
    }

    private static IResult Limits(string userId, UserQuotaSettings settings, QuotaOptions options)
        => Results.Json(new UserLimitsResource(userId, LimitsResource.From(settings.User), LimitsResource.From(settings.User.Or(options.Defaults.ToLimits())),
            settings.Keys.ToDictionary(k => k.Key, k => LimitsResource.From(k.Value))), QuotaJsonContext.Relaxed.UserLimitsResource);

    private static IResult UserNotFound(string userId) => ApiErrors.NotFound($"No user with id '{userId}'.", UserNotFoundCode);
}

/// <summary>Reads usage from the ledger against the user's effective limits.</summary>
internal sealed class QuotaUsageReader(IQuotaLedger ledger, QuotaSettingsCache settings, IOptions<QuotaOptions> options, TimeProvider timeProvider)
{
    public async Task<IResult> ReadAsync(string userId, string? keyId, CancellationToken cancellationToken)
    {
        try
        {
            return Results.Json(await ReadResourceAsync(userId, keyId, cancellationToken), QuotaJsonContext.Relaxed.UsageResource);
        }
        catch (Exception e) when (RedisFailures.IsUnavailable(e))
        {
            return ApiErrors.Result(StatusCodes.Status503ServiceUnavailable, "Usage cannot be read right now (the quota store is unreachable); retry shortly.",
                OpenAIErrorTypes.Server, QuotaResponses.QuotaUnavailableCode);
        }
    }

    /// <summary>The user's usage against its effective limits (and the key's, when <paramref name="keyId"/> has limits of
    /// its own). Throws what the ledger throws when Redis is unreachable.</summary>
    public async Task<UsageResource> ReadResourceAsync(string userId, string? keyId, CancellationToken cancellationToken)
    {
        var userSettings = await settings.GetAsync(userId);
        var now = timeProvider.GetUtcNow();
        var usage = await ledger.GetUsageAsync(userId, null, now, cancellationToken);
        var keyLimits = keyId is null ? null : userSettings.ForKey(keyId) is { IsEmpty: false } own ? own : null;
        var keyUsage = keyLimits is null ? null : await ledger.GetUsageAsync(userId, keyId, now, cancellationToken);
        return new UsageResource(userId, keyId, usage.Day, usage.Month, LimitsResource.From(userSettings.User.Or(options.Value.Defaults.ToLimits())),
            UsageNumbers.From(usage), keyLimits is null ? null : LimitsResource.From(keyLimits), keyUsage is null ? null : UsageNumbers.From(keyUsage));
    }
}
