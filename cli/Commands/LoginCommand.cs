using System.CommandLine;
using System.Diagnostics;
using System.Net;
using System.Text.Json.Nodes;
using Parley.Cli.Api;
using Parley.Cli.Hosting;
using Parley.Cli.Oidc;
using Parley.Cli.Profiles;
using Parley.Cli.Secrets;
using Spectre.Console;

namespace Parley.Cli.Commands;

/// <summary><c>parley login</c>: stores a virtual key (read from a no-echo prompt or standard input, never from an
/// argument) for a named profile, after checking it with the server; or, with <c>--oidc</c>, signs in through an
/// OpenID Connect issuer (device code flow, or <c>--browser</c>: authorization code with PKCE on a loopback redirect)
/// and stores the tokens. Either way the secret goes to the OS keyring (or, if allowed, a 0600 file).</summary>
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
        var oidc = new Option<bool>("--oidc")
        {
            Description = "Sign in through the OpenID Connect issuer the server trusts instead of storing a key (device code flow; see --browser).",
        };
        var issuer = new Option<string>("--issuer") { Description = "With --oidc: the issuer's URL (kept from the profile when omitted)." };
        var clientId = new Option<string>("--client-id")
        {
            Description = $"With --oidc: the OAuth client id registered for the CLI at the issuer (default {OidcClient.DefaultClientId}).",
        };
        var oauthScope = new Option<string>("--scope") { Description = $"With --oidc: the scopes to ask for (default \"{OidcClient.DefaultScope}\")." };
        var browser = new Option<bool>("--browser")
        {
            Description = "With --oidc: sign in with a browser on this machine (authorization code with PKCE, redirected to http://127.0.0.1:<port>/callback).",
        };
        var callbackPort = new Option<int>("--callback-port")
        {
            Description = "With --browser: the loopback port of the redirect (0: a free one; set it when the issuer registers an exact redirect URI).",
        };
        var command = new Command("login", "Store a Parley API key for a profile (read from a hidden prompt, or from standard input when piped), or sign in with --oidc.")
        {
            server, allowPlaintext, makeDefault, oidc, issuer, clientId, oauthScope, browser, callbackPort,
        };
        CommandRunner.SetAction(command, context, (scope, cancellationToken) => scope.Get(oidc)
            ? RunOidcAsync(scope, new OidcLogin(scope.Get(server), scope.Get(issuer), scope.Get(clientId), scope.Get(oauthScope), scope.Get(browser),
                scope.Get(callbackPort), scope.Get(allowPlaintext), scope.Get(makeDefault)), cancellationToken)
            : RunAsync(scope, scope.Get(server), scope.Get(allowPlaintext), scope.Get(makeDefault), cancellationToken));
        return command;
    }

    private sealed record OidcLogin(string? Server, string? Issuer, string? ClientId, string? Scope, bool Browser, int CallbackPort, bool AllowPlaintext,
        bool MakeDefault);

    private static async Task<int> RunOidcAsync(CommandScope scope, OidcLogin login, CancellationToken cancellationToken)
    {
        var context = scope.Context;
        var config = CliConfig.Load(context.ConfigDirectory);
        var name = ActiveProfile.ChooseName(config, scope.ProfileName);
        ActiveProfile.ValidateName(name);
        config.Profiles.TryGetValue(name, out var existing);
        var server = NormalizeServer(login.Server ?? existing?.Server
            ?? throw CliException.Usage($"profile '{name}' is new: pass --server URL (e.g. http://127.0.0.1:8080)."));
        var issuerUrl = NormalizeServer(login.Issuer ?? existing?.Issuer
            ?? throw CliException.Usage("pass --issuer URL: the OpenID Connect issuer the server trusts."));
        if (login.CallbackPort is < 0 or > 65535)
        {
            throw CliException.Usage("--callback-port must be between 0 and 65535.");
        }
        var clientId = login.ClientId ?? existing?.ClientId ?? OidcClient.DefaultClientId;
        var oauthScope = login.Scope ?? OidcClient.DefaultScope;
        // The store is chosen before the sign-in, so that a missing keyring fails before the person approves anything.
        var store = ChooseStore(context, login.AllowPlaintext, out var storeKind);

        using var client = new OidcClient(issuerUrl, clientId);
        var tokens = login.Browser
            ? await client.BrowserFlowAsync(oauthScope, login.CallbackPort, url => OpenBrowser(context, url), context.Time, cancellationToken).ConfigureAwait(false)
            : await client.DeviceFlowAsync(oauthScope, (uri, code, complete, expires) => context.Error.WriteLine(
                $"To sign in, open {uri} and enter the code {code} (valid for {Math.Max(1, (int)expires.TotalMinutes)} minutes)."
                + (complete is null ? "" : $" Or open {complete}")), context.Time, cancellationToken).ConfigureAwait(false);
        var role = await CheckKeyAsync(new Uri(server + "/"), tokens.AccessToken, cancellationToken, "sign-in").ConfigureAwait(false);

        store.Write(name, tokens.Serialize());
        if (existing is not null && existing.SecretStore != storeKind)
        {
            SecretStores.For(existing.SecretStore, context.ConfigDirectory).Delete(name);
        }
        var profile = existing ?? new Parley.Cli.Profiles.Profile();
        profile.Server = server;
        profile.Credential = CredentialKinds.Oidc;
        profile.SecretStore = storeKind;
        profile.Role = role;
        profile.KeyHint = null;
        profile.Issuer = issuerUrl;
        profile.ClientId = clientId;
        config.Profiles[name] = profile;
        if (login.MakeDefault || config.DefaultProfile is null || !config.Profiles.ContainsKey(config.DefaultProfile))
        {
            config.DefaultProfile = name;
        }
        config.Save(context.ConfigDirectory);

        if (scope.Json)
        {
            scope.WriteJson(new JsonObject
            {
                ["profile"] = name, ["server"] = server, ["role"] = role, ["credential"] = CredentialKinds.Oidc, ["issuer"] = issuerUrl,
                ["secret_store"] = storeKind, ["refreshable"] = tokens.RefreshToken is not null, ["default"] = config.DefaultProfile == name,
            });
        }
        else
        {
            var where = storeKind == SecretStoreKinds.Keyring ? "the OS keyring" : new PlaintextSecretStore(context.ConfigDirectory).PathFor(name);
            context.Out.WriteLine($"Logged in to {server} as profile '{name}' ({role}, signed in at {issuerUrl}); the tokens are kept in {where}.");
        }
        return ExitCodes.Success;
    }

    /// <summary>Prints the address (always: the person may be on another machine's browser) and, in a terminal, asks
    /// the desktop to open it.</summary>
    private static void OpenBrowser(CliContext context, string url)
    {
        context.Error.WriteLine($"Open this address in a browser to sign in: {url}");
        if (!context.OutputIsTerminal)
        {
            return;
        }
        try
        {
            using var _ = Process.Start(new ProcessStartInfo(url) { UseShellExecute = true });
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or InvalidOperationException or PlatformNotSupportedException)
        {
            context.Error.WriteLine("parley: could not open a browser; open the address above yourself.");
        }
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
    private static async Task<string> CheckKeyAsync(Uri server, string secret, CancellationToken cancellationToken, string what = "key")
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
            throw new CliException(ExitCodes.AuthError, $"{server} refused this {what}: {e.Message} Nothing was stored.", e.Code);
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
