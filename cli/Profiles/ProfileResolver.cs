using Parley.Cli.Hosting;
using Parley.Cli.Secrets;

namespace Parley.Cli.Profiles;

/// <summary>The profile a command runs as (--profile, else PARLEY_PROFILE, else the default profile) with its secret.</summary>
public sealed record ActiveProfile(string Name, Profile Profile, string Secret)
{
    public Uri ServerUri => new(Profile.Server.TrimEnd('/') + "/");

    public static string ChooseName(CliConfig config, string? requested)
    {
        if (!string.IsNullOrEmpty(requested))
        {
            return requested;
        }
        var fromEnvironment = Environment.GetEnvironmentVariable("PARLEY_PROFILE");
        if (!string.IsNullOrEmpty(fromEnvironment))
        {
            return fromEnvironment;
        }
        return config.DefaultProfile ?? CliConfig.DefaultProfileName;
    }

    public static ActiveProfile Load(CliContext context, string? requested)
    {
        var config = CliConfig.Load(context.ConfigDirectory);
        var name = ChooseName(config, requested);
        if (!config.Profiles.TryGetValue(name, out var profile))
        {
            throw new CliException(ExitCodes.AuthError,
                config.Profiles.Count == 0
                    ? "not logged in: run `parley login --server URL` first."
                    : $"no profile '{name}': run `parley login --profile {name} --server URL`, or pick one of: {string.Join(", ", config.Profiles.Keys)}.",
                "not_logged_in");
        }
        var secret = SecretStores.For(profile.SecretStore, context.ConfigDirectory).Read(name);
        if (string.IsNullOrEmpty(secret))
        {
            throw new CliException(ExitCodes.AuthError,
                $"profile '{name}' has no stored credential ({profile.SecretStore}); run `parley login --profile {name}` again.", "not_logged_in");
        }
        if (profile.Credential == CredentialKinds.Oidc)
        {
            secret = Oidc.OidcSession.AccessToken(context, name, profile, secret);
        }
        return new ActiveProfile(name, profile, secret);
    }

    public static void ValidateName(string name)
    {
        if (name.Length is 0 or > 64 || !name.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.'))
        {
            throw CliException.Usage($"invalid profile name '{name}': use 1 to 64 letters, digits, '-', '_' or '.'.");
        }
    }
}
