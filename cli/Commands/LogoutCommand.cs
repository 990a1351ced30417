using System.CommandLine;
using System.Text.Json.Nodes;
using Parley.Cli.Hosting;
using Parley.Cli.Oidc;
using Parley.Cli.Profiles;
using Parley.Cli.Secrets;

namespace Parley.Cli.Commands;

/// <summary><c>parley logout</c>: removes a profile and its stored key (from the keyring or the plaintext file); for a
/// profile signed in with --oidc, first revokes its refresh token at the issuer (if that fails, the local copy is still
/// deleted and a warning says so).</summary>
public static class LogoutCommand
{
    public static Command Create(CliContext context)
    {
        var all = new Option<bool>("--all") { Description = "Log out of every profile." };
        var command = new Command("logout", "Forget a profile and delete its stored key.") { all };
        CommandRunner.SetAction(command, context, async (scope, cancellationToken) =>
        {
            var config = CliConfig.Load(context.ConfigDirectory);
            var names = scope.Get(all) ? config.Profiles.Keys.ToList() : [ActiveProfile.ChooseName(config, scope.ProfileName)];
            var removed = new JsonArray();
            foreach (var name in names)
            {
                if (!config.Profiles.Remove(name, out var profile))
                {
                    throw new CliException(ExitCodes.UsageError, $"no profile '{name}'.", "profile_not_found");
                }
                var store = SecretStores.For(profile.SecretStore, context.ConfigDirectory);
                if (profile.Credential == CredentialKinds.Oidc)
                {
                    await RevokeAsync(context, name, profile, store, cancellationToken).ConfigureAwait(false);
                }
                store.Delete(name);
                removed.Add(name);
                if (!scope.Json)
                {
                    context.Out.WriteLine($"Logged out of profile '{name}' ({profile.Server}); its key was deleted from the {profile.SecretStore} store.");
                }
            }
            if (config.DefaultProfile is { } current && !config.Profiles.ContainsKey(current))
            {
                config.DefaultProfile = config.Profiles.Keys.FirstOrDefault();
            }
            config.Save(context.ConfigDirectory);
            if (scope.Json)
            {
                scope.WriteJson(new JsonObject { ["logged_out"] = removed, ["default_profile"] = config.DefaultProfile });
            }
            return ExitCodes.Success;
        });
        return command;
    }

    private static async Task RevokeAsync(CliContext context, string name, Profile profile, ISecretStore store, CancellationToken cancellationToken)
    {
        var stored = store.Read(name);
        var tokens = stored is null ? null : OidcTokens.Parse(stored);
        if (tokens?.RefreshToken is null || profile.Issuer is null)
        {
            return;
        }
        try
        {
            using var client = new OidcClient(profile.Issuer, profile.ClientId ?? OidcClient.DefaultClientId);
            if (!await client.RevokeAsync(tokens.RefreshToken, cancellationToken).ConfigureAwait(false))
            {
                context.Error.WriteLine($"parley: warning: {profile.Issuer} has no revocation endpoint; the refresh token of profile '{name}' stays valid there until it expires.");
            }
        }
        catch (Exception e) when (e is CliException or HttpRequestException or TaskCanceledException)
        {
            context.Error.WriteLine($"parley: warning: could not revoke the refresh token of profile '{name}' at {profile.Issuer} ({e.Message}); it was deleted here.");
        }
    }
}
