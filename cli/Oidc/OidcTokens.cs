using System.Text.Json;
using System.Text.Json.Serialization;

namespace Parley.Cli.Oidc;

/// <summary>What `parley login --oidc` keeps in the secret store (the OS keyring) for a profile: the access token, its
/// expiry, and the refresh token that renews it. Never written anywhere else.</summary>
public sealed class OidcTokens
{
    [JsonPropertyName("access_token")]
    public string AccessToken { get; set; } = "";

    [JsonPropertyName("refresh_token")]
    public string? RefreshToken { get; set; }

    /// <summary>Unix seconds.</summary>
    [JsonPropertyName("expires_at")]
    public long ExpiresAt { get; set; }

    public string Serialize() => JsonSerializer.Serialize(this, OidcJsonContext.Default.OidcTokens);

    public static OidcTokens? Parse(string stored)
    {
        try
        {
            return JsonSerializer.Deserialize(stored, OidcJsonContext.Default.OidcTokens);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>True when the access token has less than <paramref name="margin"/> left.</summary>
    public bool ExpiresWithin(TimeSpan margin, DateTimeOffset now) => now.ToUnixTimeSeconds() + (long)margin.TotalSeconds >= ExpiresAt;
}

[JsonSerializable(typeof(OidcTokens))]
internal sealed partial class OidcJsonContext : JsonSerializerContext;
