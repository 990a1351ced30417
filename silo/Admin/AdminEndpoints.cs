using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Options;
using Parley.Silo.Api;
using Parley.Silo.Auth;
using Parley.Silo.Auth.Store;
using Parley.Silo.Chat;
using Parley.Silo.OpenApi;

namespace Parley.Silo.Admin;

/// <summary>The admin API (users and virtual keys), behind the admin key. Deleting a user disables it and revokes
/// all its keys rather than erasing it, so usage records keep pointing at a known user.</summary>
public static class AdminEndpoints
{
    public const int MaxNameLength = 256;
    private const string UserNotFoundCode = "user_not_found";
    private const string KeyNotFoundCode = "key_not_found";
    private const string UserDisabledCode = "user_disabled";

    public static RouteGroupBuilder MapAdminApi(this RouteGroupBuilder group)
    {
        group.MapPost("/users", CreateUserAsync).AcceptsJson<CreateUserRequest>().Produces<UserResource>(StatusCodes.Status201Created);
        group.MapGet("/users", ListUsersAsync).Produces<AdminList<UserResource>>();
        group.MapGet("/users/{userId}", GetUserAsync).Produces<UserResource>();
        group.MapDelete("/users/{userId}", DeleteUserAsync).Produces<UserResource>();
        group.MapPost("/users/{userId}/keys", CreateKeyAsync).AcceptsJson<CreateKeyRequest>(optional: true).Produces<ApiKeyResource>(StatusCodes.Status201Created);
        group.MapGet("/users/{userId}/keys", ListKeysAsync).Produces<AdminList<ApiKeyResource>>();
        group.MapPost("/keys/{keyId}/revoke", RevokeKeyAsync).NoRequestBody().Produces<ApiKeyResource>();
        return group;
    }

    private static async Task<IResult> CreateUserAsync(HttpContext context, IdentityManager identities, IOptions<ChatLimitsOptions> limits)
    {
        using var body = await JsonBodyReader.ReadObjectAsync(context, limits.Value.MaxRequestBodyBytes);
        var (name, error) = body.ReadSingleField("name", required: true, static value => ReadName(value, required: true));
        if (error is not null)
        {
            return error.ToResult();
        }
        var user = await identities.CreateUserAsync(name!, context.RequestAborted);
        return Results.Json(UserResource.From(user), AdminJsonContext.Relaxed.UserResource, statusCode: StatusCodes.Status201Created);
    }

    private static async Task<IResult> ListUsersAsync(HttpContext context, IIdentityStore store)
    {
        var users = await store.ListUsersAsync(context.RequestAborted);
        return Results.Json(new AdminList<UserResource>(users.Select(UserResource.From).ToList()), AdminJsonContext.Relaxed.AdminListUserResource);
    }

    private static async Task<IResult> GetUserAsync(string userId, HttpContext context, IIdentityStore store)
    {
        var user = await store.GetUserAsync(userId, context.RequestAborted);
        return user is null ? UserNotFound(userId) : Results.Json(UserResource.From(user), AdminJsonContext.Relaxed.UserResource);
    }

    private static async Task<IResult> DeleteUserAsync(string userId, HttpContext context, IdentityManager identities)
    {
        var user = await identities.DisableUserAsync(userId, context.RequestAborted);
        return user is null ? UserNotFound(userId) : Results.Json(UserResource.From(user), AdminJsonContext.Relaxed.UserResource);
    }

    private static async Task<IResult> CreateKeyAsync(string userId, HttpContext context, IdentityManager identities, IOptions<ChatLimitsOptions> limits)
    {
        using var body = await JsonBodyReader.ReadObjectAsync(context, limits.Value.MaxRequestBodyBytes);
        var (request, error) = ReadCreateKey(body);
        if (error is not null)
        {
            return error.ToResult();
        }
        var (result, key, secret, signingSecret) = await identities.CreateKeyAsync(userId, request.Name, context.RequestAborted,
            requireSignature: request.RequireSignature);
        return result switch
        {
            CreateKeyResult.Created => Results.Json(ApiKeyResource.From(key!, secret, signingSecret), AdminJsonContext.Relaxed.ApiKeyResource,
                statusCode: StatusCodes.Status201Created),
            CreateKeyResult.UserDisabled => ApiErrors.BadRequest($"User '{userId}' is disabled; it cannot get new keys.", code: UserDisabledCode),
            _ => UserNotFound(userId),
        };
    }

    private static async Task<IResult> ListKeysAsync(string userId, HttpContext context, IIdentityStore store)
    {
        if (await store.GetUserAsync(userId, context.RequestAborted) is null)
        {
            return UserNotFound(userId);
        }
        var keys = await store.ListKeysAsync(userId, context.RequestAborted);
        return Results.Json(new AdminList<ApiKeyResource>(keys.Select(k => ApiKeyResource.From(k)).ToList()), AdminJsonContext.Relaxed.AdminListApiKeyResource);
    }

    private static async Task<IResult> RevokeKeyAsync(string keyId, HttpContext context, IdentityManager identities)
    {
        var key = await identities.RevokeKeyAsync(keyId, context.RequestAborted);
        return key is null
            ? ApiErrors.NotFound($"No API key with id '{keyId}'.", KeyNotFoundCode)
            : Results.Json(ApiKeyResource.From(key), AdminJsonContext.Relaxed.ApiKeyResource);
    }

    /// <summary>The optional body of a key's creation: <c>name</c> (null: none) and <c>require_signature</c> (null: false);
    /// any other field is refused.</summary>
    private static ((string? Name, bool RequireSignature) Request, ApiError? Error) ReadCreateKey(JsonBody body)
    {
        if (body.Error is not null)
        {
            return (default, body.Error);
        }
        string? name = null;
        var requireSignature = false;
        foreach (var property in body.Root?.EnumerateObject() ?? default)
        {
            switch (property.Name)
            {
                case "name":
                    var (parsed, error) = ReadName(property.Value, required: false);
                    if (error is not null)
                    {
                        return (default, error);
                    }
                    name = parsed ?? name;
                    break;
                case "require_signature":
                    if (property.Value.ValueKind is not (JsonValueKind.True or JsonValueKind.False or JsonValueKind.Null))
                    {
                        return (default, InputErrors.WrongType("require_signature", "a boolean", property.Value.ValueKind));
                    }
                    requireSignature = property.Value.ValueKind == JsonValueKind.True;
                    break;
                default:
                    return (default, InputErrors.Unknown(property.Name));
            }
        }
        return ((name, requireSignature), null);
    }

    /// <summary>A user's or key's <c>name</c>; null may stand for "none" where the name is optional.</summary>
    private static (string? Name, ApiError? Error) ReadName(JsonElement value, bool required)
    {
        if (value.ValueKind == JsonValueKind.Null && !required)
        {
            return (null, null);
        }
        if (value.ValueKind != JsonValueKind.String)
        {
            return (null, InputErrors.WrongType("name", "a string", value.ValueKind));
        }
        var name = value.GetString()!;
        return string.IsNullOrWhiteSpace(name) || name.Length > MaxNameLength
            ? (null, InputErrors.InvalidValue("name", $"Invalid 'name': expected 1 to {MaxNameLength} characters, not only whitespace."))
            : (name, null);
    }

    private static IResult UserNotFound(string userId) => ApiErrors.NotFound($"No user with id '{userId}'.", UserNotFoundCode);
}
