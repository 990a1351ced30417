using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Nodes;
using Parley.Cli.Hosting;
using Parley.Cli.Output;

namespace Parley.Cli.Commands.Admin;

/// <summary><c>parley admin …</c>: the admin API (docs/admin.md, docs/quotas.md) with a profile holding the admin key.</summary>
public static class AdminCommand
{
    public static Command Create(CliContext context)
    {
        var admin = new Command("admin", "Administer users, keys, limits and upstream keys (needs a profile with the admin key).");
        admin.Subcommands.Add(Users(context));
        admin.Subcommands.Add(Keys(context));
        admin.Subcommands.Add(LimitsCommand.Create(context));
        admin.Subcommands.Add(Usage(context));
        admin.Subcommands.Add(UpstreamKeys(context));
        admin.Subcommands.Add(Simple(context, "deployments", "List deployments, their circuits and latency, and the model groups.", "admin/deployments",
            "id", "provider", "type", "upstream_model", "circuit", "latency_ms", "in_flight"));
        return admin;
    }

    private static readonly string[] UserColumns = ["id", "name", "created_at", "disabled"];
    private static readonly string[] KeyColumns = ["id", "user_id", "name", "hint", "created_at", "revoked"];

    private static Command Users(CliContext context)
    {
        var users = new Command("users", "Create, list, show and disable users.");
        users.Subcommands.Add(Simple(context, "list", "List users.", "admin/users", UserColumns));

        var name = new Argument<string>("name") { Description = "The user's name." };
        var create = new Command("create", "Create a user.") { name };
        CommandRunner.SetAction(create, context, async (scope, ct) =>
        {
            var user = await scope.Client.SendJsonAsync(HttpMethod.Post, "admin/users", new JsonObject { ["name"] = scope.Get(name) }, ct).ConfigureAwait(false);
            Tables.Render(scope, user, UserColumns);
            return ExitCodes.Success;
        });
        users.Subcommands.Add(create);

        users.Subcommands.Add(ById(context, "show", "Show a user.", HttpMethod.Get, "user-id", id => $"admin/users/{id}", UserColumns));
        users.Subcommands.Add(ById(context, "disable", "Disable a user and revoke all its keys.", HttpMethod.Delete, "user-id", id => $"admin/users/{id}", UserColumns));
        return users;
    }

    private static Command Keys(CliContext context)
    {
        var keys = new Command("keys", "Create, list and revoke users' API keys.");
        keys.Subcommands.Add(ById(context, "list", "List a user's keys (hints only, never secrets).", HttpMethod.Get, "user-id", id => $"admin/users/{id}/keys", KeyColumns));

        var userId = new Argument<string>("user-id");
        var name = new Option<string>("--name") { Description = "A name for the key." };
        var requireSignature = new Option<bool>("--require-signature") { Description = "Every request with the key must be signed (HMAC; docs/auth.md); its signing secret is shown this once." };
        var create = new Command("create", "Create a key for a user; its secret is shown this once.") { userId, name, requireSignature };
        CommandRunner.SetAction(create, context, async (scope, ct) =>
        {
            var body = new JsonObject();
            if (scope.Get(name) is { } keyName)
            {
                body["name"] = keyName;
            }
            if (scope.Get(requireSignature))
            {
                body["require_signature"] = true;
            }
            var key = await scope.Client.SendJsonAsync(HttpMethod.Post, $"admin/users/{Uri.EscapeDataString(scope.Get(userId))}/keys", body, ct).ConfigureAwait(false);
            if (scope.Json)
            {
                scope.WriteJson(key);
            }
            else
            {
                Tables.Render(scope, key, KeyColumns);
                context.Out.WriteLine($"Secret (shown once): {key.String("key")}");
                if (key.String("signing_secret") is { } signingSecret)
                {
                    context.Out.WriteLine($"Signing secret (shown once): {signingSecret}");
                }
            }
            return ExitCodes.Success;
        });
        keys.Subcommands.Add(create);
        keys.Subcommands.Add(ById(context, "revoke", "Revoke a key.", HttpMethod.Post, "key-id", id => $"admin/keys/{id}/revoke", KeyColumns));
        return keys;
    }

    private static Command Usage(CliContext context)
    {
        var userId = new Argument<string>("user-id");
        var keyId = new Option<string>("--key-id") { Description = "Also show this key's own usage (when it has limits)." };
        var usage = new Command("usage", "Show a user's usage against its limits.") { userId, keyId };
        CommandRunner.SetAction(usage, context, async (scope, ct) =>
        {
            var path = $"admin/users/{Uri.EscapeDataString(scope.Get(userId))}/usage";
            if (scope.Get(keyId) is { Length: > 0 } key)
            {
                path += "?key_id=" + Uri.EscapeDataString(key);
            }
            UsageCommand.Render(scope, await scope.Client.GetAsync(path, ct).ConfigureAwait(false));
            return ExitCodes.Success;
        });
        return usage;
    }

    private static Command UpstreamKeys(CliContext context)
    {
        string[] columns = ["provider", "id", "weight", "requests_per_minute", "tokens_per_minute", "max_concurrent", "state", "until", "reason"];
        var upstream = new Command("upstream-keys", "List the providers' upstream keys and their health; put one back into rotation.");
        upstream.Subcommands.Add(Simple(context, "list", "List upstream keys (never their secrets).", "admin/upstream-keys", columns));
        var provider = new Argument<string>("provider");
        var keyId = new Argument<string>("key-id");
        var enable = new Command("enable", "Re-enable a disabled, blocked or cooling upstream key.") { provider, keyId };
        CommandRunner.SetAction(enable, context, async (scope, ct) =>
        {
            var path = $"admin/upstream-keys/{Uri.EscapeDataString(scope.Get(provider))}/{Uri.EscapeDataString(scope.Get(keyId))}/enable";
            Tables.Render(scope, await scope.Client.SendJsonAsync(HttpMethod.Post, path, null, ct).ConfigureAwait(false), columns);
            return ExitCodes.Success;
        });
        upstream.Subcommands.Add(enable);
        return upstream;
    }

    private static Command Simple(CliContext context, string name, string description, string path, params string[] columns)
    {
        var command = new Command(name, description);
        CommandRunner.SetAction(command, context, async (scope, ct) =>
        {
            Tables.Render(scope, await scope.Client.GetAsync(path, ct).ConfigureAwait(false), columns);
            return ExitCodes.Success;
        });
        return command;
    }

    private static Command ById(CliContext context, string name, string description, HttpMethod method, string argumentName, Func<string, string> path,
        string[] columns)
    {
        var id = new Argument<string>(argumentName);
        var command = new Command(name, description) { id };
        CommandRunner.SetAction(command, context, async (scope, ct) =>
        {
            JsonElement result = await scope.Client.SendJsonAsync(method, path(Uri.EscapeDataString(scope.Get(id))), null, ct).ConfigureAwait(false);
            Tables.Render(scope, result, columns);
            return ExitCodes.Success;
        });
        return command;
    }
}
