using System.CommandLine;
using System.Text.Json.Nodes;
using Parley.Cli.Hosting;
using Parley.Cli.Profiles;
using Parley.Cli.Secrets;

namespace Parley.Cli.Commands;

/// <summary><c>parley logout</c>: removes a profile and its stored key (from the keyring or the plaintext file).</summary>
public static class LogoutCommand
{
    public static Command Create(CliContext context)
    {
        var all = new Option<bool>("--all") { Description = "Log out of every profile." };
        var command = new Command("logout", "Forget a profile and delete its stored key.") { all };
        CommandRunner.SetAction(command, context, (scope, _) =>
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
                SecretStores.For(profile.SecretStore, context.ConfigDirectory).Delete(name);
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
            return Task.FromResult(ExitCodes.Success);
        });
        return command;
    }
}
