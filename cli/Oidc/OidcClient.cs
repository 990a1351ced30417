using System.Net;
using System.Security.Cryptography;
using System.Text;
using Duende.IdentityModel;
using Duende.IdentityModel.Client;
using Parley.Cli.Hosting;

namespace Parley.Cli.Oidc;

/// <summary>The OAuth 2.0 side of `parley login --oidc` (Duende.IdentityModel over HttpClient): discovery, the device
/// authorization grant (RFC 8628), the authorization code grant with PKCE (RFC 7636) on a loopback redirect
/// (RFC 8252 §7.3), refresh, and revocation (RFC 7009). Failures are <see cref="CliException"/>s with the issuer's error.</summary>
public sealed class OidcClient : IDisposable
{
    public const string DefaultClientId = "parley-cli";
    public const string DefaultScope = "openid offline_access";
    public const string CallbackPath = "/callback";
    private static readonly TimeSpan BrowserTimeout = TimeSpan.FromMinutes(5);

    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(30) };
    private readonly string _issuer;
    private readonly string _clientId;
    private DiscoveryDocumentResponse? _discovery;

    public OidcClient(string issuer, string clientId)
    {
        _issuer = issuer;
        _clientId = clientId;
    }

    public async Task<DiscoveryDocumentResponse> DiscoverAsync(CancellationToken cancellationToken)
    {
        if (_discovery is not null)
        {
            return _discovery;
        }
        var request = new DiscoveryDocumentRequest { Address = _issuer };
        // Plain http only for an issuer on this machine (tests, a local issuer); anything else must be https.
        request.Policy.RequireHttps = !IsLoopback(new Uri(_issuer));
        var discovery = await _http.GetDiscoveryDocumentAsync(request, cancellationToken).ConfigureAwait(false);
        if (discovery.IsError)
        {
            throw new CliException(ExitCodes.AuthError, $"cannot read the issuer's discovery document at {_issuer}: {discovery.Error}", "oidc_discovery_failed");
        }
        return _discovery = discovery;
    }

    /// <summary>The device authorization grant: shows the user code and where to enter it (through
    /// <paramref name="prompt"/>), then polls the token endpoint at the issuer's interval until the person approves.</summary>
    public async Task<OidcTokens> DeviceFlowAsync(string scope, Action<string, string, string?, TimeSpan> prompt, TimeProvider time,
        CancellationToken cancellationToken)
    {
        var discovery = await DiscoverAsync(cancellationToken).ConfigureAwait(false);
        if (string.IsNullOrEmpty(discovery.DeviceAuthorizationEndpoint))
        {
            throw new CliException(ExitCodes.AuthError, "the issuer does not offer the device code flow; use --browser.", "oidc_no_device_flow");
        }
        var authorization = await _http.RequestDeviceAuthorizationAsync(new DeviceAuthorizationRequest
        {
            Address = discovery.DeviceAuthorizationEndpoint, ClientId = _clientId, Scope = scope,
        }, cancellationToken).ConfigureAwait(false);
        if (authorization.IsError)
        {
            throw Refused("the device authorization request", authorization.Error, authorization.ErrorDescription);
        }
        var expiresIn = TimeSpan.FromSeconds(authorization.ExpiresIn ?? 600);
        prompt(authorization.VerificationUri ?? "", authorization.UserCode ?? "", authorization.VerificationUriComplete, expiresIn);

        var interval = TimeSpan.FromSeconds(Math.Max(1, authorization.Interval));
        var deadline = time.GetUtcNow() + expiresIn;
        while (true)
        {
            await Task.Delay(interval, time, cancellationToken).ConfigureAwait(false);
            var response = await _http.RequestDeviceTokenAsync(new DeviceTokenRequest
            {
                Address = discovery.TokenEndpoint, ClientId = _clientId, DeviceCode = authorization.DeviceCode!,
            }, cancellationToken).ConfigureAwait(false);
            if (!response.IsError)
            {
                return Tokens(response, time);
            }
            switch (response.Error)
            {
                case OidcConstants.TokenErrors.AuthorizationPending:
                    break;
                case OidcConstants.TokenErrors.SlowDown:
                    interval += TimeSpan.FromSeconds(5);
                    break;
                default:
                    throw Refused("the sign-in", response.Error, response.ErrorDescription);
            }
            if (time.GetUtcNow() > deadline)
            {
                throw new CliException(ExitCodes.AuthError, "the code expired before the sign-in was approved; run `parley login --oidc` again.", "expired_token");
            }
        }
    }

    /// <summary>The authorization code grant with PKCE (S256): listens on http://127.0.0.1:<paramref name="port"/>/callback
    /// (a free port when 0), hands the authorization URL to <paramref name="open"/> (print it, launch a browser), waits
    /// for the redirect, checks its state, and redeems the code with the verifier.</summary>
    public async Task<OidcTokens> BrowserFlowAsync(string scope, int port, Action<string> open, TimeProvider time, CancellationToken cancellationToken)
    {
        var discovery = await DiscoverAsync(cancellationToken).ConfigureAwait(false);
        if (string.IsNullOrEmpty(discovery.AuthorizeEndpoint))
        {
            throw new CliException(ExitCodes.AuthError, "the issuer has no authorization endpoint; sign in without --browser.", "oidc_no_authorization_endpoint");
        }
        var verifier = CryptoRandom.CreateUniqueId(32, CryptoRandom.OutputFormat.Base64Url);
        var challenge = System.Buffers.Text.Base64Url.EncodeToString(SHA256.HashData(Encoding.ASCII.GetBytes(verifier)));
        var state = CryptoRandom.CreateUniqueId(16, CryptoRandom.OutputFormat.Base64Url);

        using var listener = LoopbackListener.Start(port);
        var redirectUri = $"http://127.0.0.1:{listener.Port}{CallbackPath}";
        var url = new RequestUrl(discovery.AuthorizeEndpoint).CreateAuthorizeUrl(
            clientId: _clientId, responseType: OidcConstants.ResponseTypes.Code, scope: scope, redirectUri: redirectUri, state: state,
            codeChallenge: challenge, codeChallengeMethod: OidcConstants.CodeChallengeMethods.Sha256);
        open(url);

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(BrowserTimeout);
        var callback = await listener.WaitForCallbackAsync(CallbackPath, state, timeout.Token).ConfigureAwait(false);
        if (callback.Error is not null)
        {
            throw Refused("the sign-in", callback.Error, callback.ErrorDescription);
        }
        var response = await _http.RequestAuthorizationCodeTokenAsync(new AuthorizationCodeTokenRequest
        {
            Address = discovery.TokenEndpoint, ClientId = _clientId, Code = callback.Code!, RedirectUri = redirectUri, CodeVerifier = verifier,
        }, cancellationToken).ConfigureAwait(false);
        if (response.IsError)
        {
            throw Refused("the code exchange", response.Error, response.ErrorDescription);
        }
        return Tokens(response, time);
    }

    /// <summary>New tokens for the refresh token (the issuer may rotate it; the old one is kept when it does not).</summary>
    public async Task<OidcTokens> RefreshAsync(string refreshToken, TimeProvider time, CancellationToken cancellationToken)
    {
        var discovery = await DiscoverAsync(cancellationToken).ConfigureAwait(false);
        var response = await _http.RequestRefreshTokenAsync(new RefreshTokenRequest
        {
            Address = discovery.TokenEndpoint, ClientId = _clientId, RefreshToken = refreshToken,
        }, cancellationToken).ConfigureAwait(false);
        if (response.IsError)
        {
            throw new CliException(ExitCodes.AuthError,
                $"the sign-in has ended ({response.Error}{(string.IsNullOrEmpty(response.ErrorDescription) ? "" : ": " + response.ErrorDescription)}); run `parley login --oidc` again.",
                "oidc_refresh_failed");
        }
        var tokens = Tokens(response, time);
        tokens.RefreshToken ??= refreshToken;
        return tokens;
    }

    /// <summary>Revokes the refresh token at the issuer (RFC 7009); false when the issuer has no revocation endpoint.</summary>
    public async Task<bool> RevokeAsync(string refreshToken, CancellationToken cancellationToken)
    {
        var discovery = await DiscoverAsync(cancellationToken).ConfigureAwait(false);
        if (string.IsNullOrEmpty(discovery.RevocationEndpoint))
        {
            return false;
        }
        var response = await _http.RevokeTokenAsync(new TokenRevocationRequest
        {
            Address = discovery.RevocationEndpoint, ClientId = _clientId, Token = refreshToken, TokenTypeHint = OidcConstants.TokenTypes.RefreshToken,
        }, cancellationToken).ConfigureAwait(false);
        if (response.IsError)
        {
            throw new CliException(ExitCodes.AuthError, $"the issuer did not revoke the refresh token: {response.Error}", "oidc_revoke_failed");
        }
        return true;
    }

    private static OidcTokens Tokens(TokenResponse response, TimeProvider time) => new()
    {
        AccessToken = response.AccessToken ?? throw new CliException(ExitCodes.AuthError, "the issuer answered without an access token.", "oidc_no_token"),
        RefreshToken = response.RefreshToken,
        ExpiresAt = time.GetUtcNow().ToUnixTimeSeconds() + (response.ExpiresIn > 0 ? response.ExpiresIn : 300),
    };

    private static CliException Refused(string what, string? error, string? description)
        => new(ExitCodes.AuthError, $"the issuer refused {what}: {error}{(string.IsNullOrEmpty(description) ? "" : " (" + description + ")")}.", error ?? "oidc_error");

    public static bool IsLoopback(Uri uri) => uri.IsLoopback || (IPAddress.TryParse(uri.DnsSafeHost, out var address) && IPAddress.IsLoopback(address));

    public void Dispose() => _http.Dispose();
}
