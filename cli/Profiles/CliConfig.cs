using System.Text.Json;
using System.Text.Json.Serialization;

namespace Parley.Cli.Profiles;

/// <summary>config.json: the named profiles and which one is the default. It never holds a secret: each profile
/// says where its credential is (the OS keyring, or a 0600 file the user allowed).</summary>
public sealed class CliConfig
{
    public const string FileName = "config.json";
    public const string DefaultProfileName = "default";

    [JsonPropertyName("default_profile")]
    public string? DefaultProfile { get; set; }

    [JsonPropertyName("profiles")]
    public SortedDictionary<string, Profile> Profiles { get; set; } = new(StringComparer.Ordinal);

    public static CliConfig Load(string directory)
    {
        var path = Path.Combine(directory, FileName);
        if (!File.Exists(path))
        {
            return new CliConfig();
        }
        try
        {
            return JsonSerializer.Deserialize(File.ReadAllText(path), CliConfigJsonContext.Default.CliConfig) ?? new CliConfig();
        }
        catch (JsonException e)
        {
            throw new Hosting.CliException(Hosting.ExitCodes.UsageError, $"{path} is not valid JSON ({e.Message}); fix or delete it.");
        }
    }

    public void Save(string directory)
    {
        Secrets.PrivateFiles.EnsureDirectory(directory);
        var path = Path.Combine(directory, FileName);
        var temporary = path + ".tmp";
        Secrets.PrivateFiles.WriteAllText(temporary, JsonSerializer.Serialize(this, CliConfigJsonContext.Default.CliConfig));
        File.Move(temporary, path, overwrite: true);
    }
}

public sealed class Profile
{
    /// <summary>The server's root URL, e.g. http://127.0.0.1:8080 (the API is under /v1, admin under /admin).</summary>
    [JsonPropertyName("server")]
    public string Server { get; set; } = "";

    /// <summary>"api_key" (a virtual key) or "oidc" (tokens from an OpenID Connect issuer, renewed with a refresh token).</summary>
    [JsonPropertyName("credential")]
    public string Credential { get; set; } = CredentialKinds.ApiKey;

    /// <summary>"keyring" or "plaintext".</summary>
    [JsonPropertyName("secret_store")]
    public string SecretStore { get; set; } = Secrets.SecretStoreKinds.Keyring;

    /// <summary>"user" or "admin": which API the key opened when it was stored.</summary>
    [JsonPropertyName("role")]
    public string Role { get; set; } = "user";

    /// <summary>The key's last four characters, to tell profiles apart; never the key.</summary>
    [JsonPropertyName("key_hint")]
    public string? KeyHint { get; set; }

    /// <summary>For "oidc": the issuer the tokens come from (not a secret).</summary>
    [JsonPropertyName("issuer")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Issuer { get; set; }

    /// <summary>For "oidc": the OAuth client id the CLI signs in as (a public client: no secret).</summary>
    [JsonPropertyName("client_id")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? ClientId { get; set; }

    /// <summary>Default model for chat, ask, batch lines without one, summarize and map.</summary>
    [JsonPropertyName("model")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Model { get; set; }
}

public static class CredentialKinds
{
    public const string ApiKey = "api_key";
    public const string Oidc = "oidc";
}

[JsonSourceGenerationOptions(WriteIndented = true)]
[JsonSerializable(typeof(CliConfig))]
internal sealed partial class CliConfigJsonContext : JsonSerializerContext;
