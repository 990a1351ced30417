using System.ComponentModel.DataAnnotations;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using Parley.Silo.Auth.Store;

namespace Parley.Silo.Admin;

public sealed record UserResource(
    [property: JsonPropertyName("id"), JsonPropertyOrder(-2)] string Id,
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("created_at")] long CreatedAt,
    [property: JsonPropertyName("disabled")] bool Disabled)
{
    [JsonPropertyName("object")]
    [JsonPropertyOrder(-1)]
    [AllowedValues("user")]
    public string Object => "user";

    public static UserResource From(UserRecord user) => new(user.Id, user.Name, user.CreatedAt, user.Disabled);
}

/// <summary>A virtual key as the admin API shows it. <see cref="Key"/> (the secret) and <see cref="SigningSecret"/>
/// (for a key that requires signed requests) are set only in the answer that creates the key and omitted everywhere
/// else.</summary>
public sealed record ApiKeyResource(
    [property: JsonPropertyName("id"), JsonPropertyOrder(-2)] string Id,
    [property: JsonPropertyName("user_id")] string UserId,
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("created_at")] long CreatedAt,
    [property: JsonPropertyName("revoked")] bool Revoked,
    [property: JsonPropertyName("hint")] string Hint,
    [property: JsonPropertyName("require_signature")] bool RequireSignature,
    [property: JsonPropertyName("key"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Key,
    [property: JsonPropertyName("signing_secret"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? SigningSecret)
{
    [JsonPropertyName("object")]
    [JsonPropertyOrder(-1)]
    [AllowedValues("api_key")]
    public string Object => "api_key";

    public static ApiKeyResource From(ApiKeyRecord key, string? secret = null, string? signingSecret = null)
        => new(key.Id, key.UserId, key.Name, key.CreatedAt, key.Revoked, key.Hint, key.RequiresSignature, secret, signingSecret);
}

public sealed record AdminList<T>([property: JsonPropertyName("data")] IReadOnlyList<T> Data)
{
    [JsonPropertyName("object")]
    [JsonPropertyOrder(-1)]
    [AllowedValues("list")]
    public string Object => "list";
}

[JsonSerializable(typeof(UserResource))]
[JsonSerializable(typeof(ApiKeyResource))]
[JsonSerializable(typeof(AdminList<UserResource>))]
[JsonSerializable(typeof(AdminList<ApiKeyResource>))]
internal sealed partial class AdminJsonContext : JsonSerializerContext
{
    /// <summary>Escapes only what JSON requires, so names in any language stay readable.</summary>
    public static AdminJsonContext Relaxed { get; } = new(new JsonSerializerOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
}
