using Parley.Cli.Hosting;
using Parley.Cli.Profiles;
using Parley.Cli.Secrets;

namespace Parley.Cli.Oidc;

/// <summary>An "oidc" profile's credential at the start of a command: the stored access token, or, when it has less
/// than <see cref="RefreshMargin"/> left, a new one from the refresh token (both written back to the secret store).</summary>
public static class OidcSession
{
    public static readonly TimeSpan RefreshMargin = TimeSpan.FromSeconds(60);

    public static string AccessToken(CliContext context, string name, Profile profile, string stored)
    {
        var tokens = OidcTokens.Parse(stored) ?? throw NotSignedIn(name);
        if (!tokens.ExpiresWithin(RefreshMargin, context.Time.GetUtcNow()))
        {
            return tokens.AccessToken;
        }
        if (string.IsNullOrEmpty(tokens.RefreshToken) || string.IsNullOrEmpty(profile.Issuer))
        {
            throw new CliException(ExitCodes.AuthError, $"the sign-in of profile '{name}' has expired; run `parley login --oidc --profile {name}` again.", "not_logged_in");
        }
        using var client = new OidcClient(profile.Issuer, profile.ClientId ?? OidcClient.DefaultClientId);
        // Commands load their profile synchronously; a CLI process has no synchronization context to deadlock on.
        var renewed = client.RefreshAsync(tokens.RefreshToken, context.Time, CancellationToken.None).GetAwaiter().GetResult();
        SecretStores.For(profile.SecretStore, context.ConfigDirectory).Write(name, renewed.Serialize());
        return renewed.AccessToken;
    }

    private static CliException NotSignedIn(string name)
        => new(ExitCodes.AuthError, $"profile '{name}' has no usable sign-in; run `parley login --oidc --profile {name}` again.", "not_logged_in");
}
