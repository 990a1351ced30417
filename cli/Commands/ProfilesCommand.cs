using System.CommandLine;
using System.Text.Json.Nodes;
using Parley.Cli.Hosting;
using Parley.Cli.Profiles;
using Spectre.Console;

namespace Parley.Cli.Commands;

/// <summary><c>parley profiles</c> lists the profiles (never a key); <c>parley profiles use NAME</c> sets the default.</summary>
public static class ProfilesCommand
{
    public static Command Create(CliContext context)
    {
        var command = new Command("profiles", "List the profiles: server, key role, where the key is kept (never the key).");
        CommandRunner.SetAction(command, context, (scope, _) =>
        {
            var config = CliConfig.Load(context.ConfigDirectory);
            if (scope.Json)
            {
                var list = new JsonArray();
                foreach (var (name, p) in config.Profiles)
                {
                    list.Add(new JsonObject
                    {
                        ["name"] = name, ["server"] = p.Server, ["role"] = p.Role, ["credential"] = p.Credential, ["secret_store"] = p.SecretStore,
                        ["key_hint"] = p.KeyHint, ["model"] = p.Model, ["default"] = name == config.DefaultProfile,
                    });
                }
                scope.WriteJson(new JsonObject { ["default_profile"] = config.DefaultProfile, ["profiles"] = list });
                return Task.FromResult(ExitCodes.Success);
            }
            if (config.Profiles.Count == 0)
            {
                context.Out.WriteLine("No profiles: run `parley login --server URL`.");
                return Task.FromResult(ExitCodes.Success);
            }
            var table = new Table().AddColumns("", "profile", "server", "role", "key", "kept in", "model");
            foreach (var (name, p) in config.Profiles)
            {
                table.AddRow(name == config.DefaultProfile ? "*" : "", Markup.Escape(name), Markup.Escape(p.Server), p.Role, Markup.Escape(p.KeyHint ?? ""),
                    p.SecretStore, Markup.Escape(p.Model ?? ""));
            }
            context.Console.Write(table);
            return Task.FromResult(ExitCodes.Success);
        });

        var name = new Argument<string>("name") { Description = "The profile to make the default." };
        var use = new Command("use", "Make a profile the default.") { name };
        CommandRunner.SetAction(use, context, (scope, _) =>
        {
            var config = CliConfig.Load(context.ConfigDirectory);
            var chosen = scope.Get(name);
            if (!config.Profiles.ContainsKey(chosen))
            {
                throw new CliException(ExitCodes.UsageError, $"no profile '{chosen}'.", "profile_not_found");
            }
            config.DefaultProfile = chosen;
            config.Save(context.ConfigDirectory);
            if (scope.Json)
            {
                scope.WriteJson(new JsonObject { ["default_profile"] = chosen });
            }
            else
            {
                context.Out.WriteLine($"Default profile: {chosen}.");
            }
            return Task.FromResult(ExitCodes.Success);
        });
        command.Subcommands.Add(use);

        var model = new Argument<string>("model") { Description = "The model chat, ask, batch, summarize and map use when none is given." };
        var setModel = new Command("set-model", "Set the active profile's default model.") { model };
        CommandRunner.SetAction(setModel, context, (scope, _) =>
        {
            var config = CliConfig.Load(context.ConfigDirectory);
            var profileName = ActiveProfile.ChooseName(config, scope.ProfileName);
            if (!config.Profiles.TryGetValue(profileName, out var profile))
            {
                throw new CliException(ExitCodes.UsageError, $"no profile '{profileName}'.", "profile_not_found");
            }
            profile.Model = scope.Get(model);
            config.Save(context.ConfigDirectory);
            if (scope.Json)
            {
                scope.WriteJson(new JsonObject { ["profile"] = profileName, ["model"] = profile.Model });
            }
            else
            {
                context.Out.WriteLine($"Profile '{profileName}' now uses model {profile.Model} by default.");
            }
            return Task.FromResult(ExitCodes.Success);
        });
        command.Subcommands.Add(setModel);
        return command;
    }
}
