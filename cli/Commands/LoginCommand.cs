using System.CommandLine;
using System.Net;
using System.Text.Json.Nodes;
using Parley.Cli.Api;
using Parley.Cli.Hosting;
using Parley.Cli.Profiles;
using Parley.Cli.Secrets;
using Spectre.Console;

namespace Parley.Cli.Commands;

/// <summary><c>parley login</c>: stores a virtual key (read from a no-echo prompt or standard input, never from an
/// argument) for a named profile, after checking it with the server. Signing in through an OIDC issuer (device code,
/// PKCE) waits for the server's OIDC support; see docs/cli.md.</summary>
public static class LoginCommand
{
    public static Command Create(CliContext context)
    {
        var server = new Option<string>("--server", "-s") { Description = "The server's root URL, e.g. http://127.0.0.1:8080 (kept from the profile when omitted)." };
        var allowPlaintext = new Option<bool>("--allow-plaintext")
        {
            Description = "If the OS keyring cannot be used, keep the key in a file readable only by you (mode 0600) instead of failing.",
        };
        var makeDefault = new Option<bool>("--default") { Description = "Make this profile the default." };
        var command = new Command("login", "Store a Parley API key for a profile (read from a hidden prompt, or from standard input when piped).")
        {
            server, allowPlaintext, makeDefault,
        };
        CommandRunner.SetAction(command, context, (scope, cancellationToken) => RunAsync(scope, scope.Get(server), scope.Get(allowPlaintext),
            scope.Get(makeDefault), cancellationToken));
        return command;
    }

    private static async Task<int> RunAsync(CommandScope scope, string? serverOption, bool allowPlaintext, bool makeDefault,
        CancellationToken cancellationToken)
    {
        var context = scope.Context;
        var config = CliConfig.Load(context.ConfigDirectory);
        var name = ActiveProfile.ChooseName(config, scope.ProfileName);
        ActiveProfile.ValidateName(name);
        config.Profiles.TryGetValue(name, out var existing);
        var server = NormalizeServer(serverOption ?? existing?.Server
            ?? throw CliException.Usage($"profile '{name}' is new: pass --server URL (e.g. http://127.0.0.1:8080)."));
        var secret = ReadSecret(context, server);
        var role = await CheckKeyAsync(new Uri(server + "/"), secret, cancellationToken).ConfigureAwait(false);

        var store = ChooseStore(context, allowPlaintext, out var storeKind);
        store.Write(name, secret);
        if (existing is not null && existing.SecretStore != storeKind)
        {
            SecretStores.For(existing.SecretStore, context.ConfigDirectory).Delete(name);
        }
        var profile = existing ?? new Parley.Cli.Profiles.Profile();
        profile.Server = server;
        profile.Credential = CredentialKinds.ApiKey;
        profile.SecretStore = storeKind;
        profile.Role = role;
        profile.KeyHint = "…" + secret[^Math.Min(4, secret.Length)..];
        config.Profiles[name] = profile;
        if (makeDefault || config.DefaultProfile is null || !config.Profiles.ContainsKey(config.DefaultProfile))
        {
            config.DefaultProfile = name;
        }
        config.Save(context.ConfigDirectory);

        if (scope.Json)
        {
            scope.WriteJson(new JsonObject
            {
                ["profile"] = name, ["server"] = server, ["role"] = role, ["secret_store"] = storeKind, ["key_hint"] = profile.KeyHint,
                ["default"] = config.DefaultProfile == name,
            });
        }
        else
        {
            var where = storeKind == SecretStoreKinds.Keyring ? "the OS keyring" : new PlaintextSecretStore(context.ConfigDirectory).PathFor(name);
            context.Out.WriteLine($"Logged in to {server} as profile '{name}' ({role} key {profile.KeyHint}); the key is kept in {where}.");
        }
        return ExitCodes.Success;
    }

    private static ISecretStore ChooseStore(CliContext context, bool allowPlaintext, out string kind)
    {
        var keyring = new KeyringSecretStore(context.ConfigDirectory);
        try
        {
            keyring.Verify();
            kind = SecretStoreKinds.Keyring;
            return keyring;
        }
        catch (KeyringUnavailableException e) when (allowPlaintext)
        {
            var plaintext = new PlaintextSecretStore(context.ConfigDirectory);
            context.Error.WriteLine($"parley: warning: {e.Message} The key is stored UNENCRYPTED in {plaintext.PathFor("<profile>")} (mode 0600): "
                + "anyone who can read your files can use it.");
            kind = SecretStoreKinds.Plaintext;
            return plaintext;
        }
        catch (KeyringUnavailableException e)
        {
            throw new CliException(ExitCodes.AuthError,
                $"{e.Message} Start a Secret Service (e.g. gnome-keyring) or log in again with --allow-plaintext to keep the key in a file "
                + "readable only by you (mode 0600).", "keyring_unavailable");
        }
    }

    private static string ReadSecret(CliContext context, string server)
    {
        string? secret;
        if (context.InputIsTerminal && context.Console.Profile.Capabilities.Interactive)
        {
            secret = context.Console.Prompt(new TextPrompt<string>($"API key for {Markup.Escape(server)}:").Secret(null));
        }
        else
        {
            secret = context.In.ReadLine();
        }
        secret = secret?.Trim();
        if (string.IsNullOrEmpty(secret))
        {
            throw CliException.Usage("no key given: type it at the prompt, or pipe it on standard input (e.g. `pass show parley | parley login --server URL`).");
        }
        if (secret.Any(char.IsWhiteSpace))
        {
            throw CliException.Usage("the key must be one word without spaces.");
        }
        return secret;
    }

    /// <summary>"user" when the key opens the public API, "admin" when it opens the admin API; refused keys fail.</summary>
    private static async Task<string> CheckKeyAsync(Uri server, string secret, CancellationToken cancellationToken)
    {
        using var client = new ParleyClient(server, secret, TimeSpan.FromSeconds(30));
        try
        {
            await client.GetAsync("v1/models", cancellationToken).ConfigureAwait(false);
            return "user";
        }
        catch (ParleyApiException e) when (e.Status == HttpStatusCode.Forbidden)
        {
            await client.GetAsync("admin/users", cancellationToken).ConfigureAwait(false);
            return "admin";
        }
        catch (ParleyApiException e) when (e.Status == HttpStatusCode.Unauthorized)
        {
            throw new CliException(ExitCodes.AuthError, $"{server} refused this key: {e.Message} Nothing was stored.", e.Code);
        }
    }

    private static string NormalizeServer(string server)
    {
        if (!Uri.TryCreate(server, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
        {
            throw CliException.Usage($"invalid --server '{server}': expected an http:// or https:// URL.");
        }
        return uri.GetLeftPart(UriPartial.Path).TrimEnd('/');
    }
}
