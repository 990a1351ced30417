using System.Collections.Concurrent;
using System.Security.Claims;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using OpenIddict.Abstractions;
using OpenIddict.Server;
using OpenIddict.Server.AspNetCore;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace Parley.Oidc.Testing;

/// <summary>A real OpenID Connect issuer for tests: OpenIddict's server on Kestrel (a loopback port), with discovery,
/// a JWKS endpoint, and the token, device authorization, end-user verification, authorization and revocation
/// endpoints; clients, codes and tokens in EF Core's in-memory database. Access tokens are signed JWTs (RS256) for the
/// audience <see cref="Audience"/>, with the person in <c>sub</c>, their name in <c>preferred_username</c> and their
/// roles in <c>role</c>. The test plays the person: <see cref="ApproveUserCodeAsync"/> approves a device code, and the
/// authorization endpoint signs in <see cref="BrowserUser"/> at once (no login page).</summary>
public sealed class TestIssuer : IAsyncDisposable
{
    public const string Audience = "parley-api";
    public const string AdminRole = "parley-admin";
    public const string RoleClaim = Claims.Role;
    /// <summary>A confidential client (client credentials) whose tokens carry <see cref="AdminRole"/>.</summary>
    public const string AdminClientId = "svc-admin";
    /// <summary>A confidential client (client credentials) without roles.</summary>
    public const string UserClientId = "svc-user";
    public const string ClientSecret = "test-client-secret-0123456789";
    /// <summary>The public client the CLI uses: device code, authorization code with PKCE, refresh tokens.</summary>
    public const string CliClientId = "parley-cli";

    private readonly WebApplication _app;
    private readonly ConcurrentDictionary<string, string[]> _userRoles = new(StringComparer.Ordinal);

    private TestIssuer(WebApplication app, TimeSpan accessTokenLifetime)
    {
        _app = app;
        AccessTokenLifetime = accessTokenLifetime;
        _userRoles.TryAdd("alice", []);
    }

    /// <summary>The issuer (and authority) URL, with a trailing slash, e.g. http://127.0.0.1:40123/.</summary>
    public Uri Url { get; private set; } = new("http://127.0.0.1/");

    /// <summary>The person the authorization endpoint signs in (the browser of the PKCE flow).</summary>
    public string BrowserUser { get; set; } = "alice";

    public TimeSpan AccessTokenLifetime { get; }

    private OpenIddictServerOptions ServerOptions => _app.Services.GetRequiredService<IOptionsMonitor<OpenIddictServerOptions>>().CurrentValue;

    /// <summary>The key tokens are signed with now (the first signing credential).</summary>
    public RsaSecurityKey CurrentKey => (RsaSecurityKey)ServerOptions.SigningCredentials[0].Key;

    public static async Task<TestIssuer> StartAsync(TimeSpan? accessTokenLifetime = null, IEnumerable<string>? cliRedirectUris = null)
    {
        var lifetime = accessTokenLifetime ?? TimeSpan.FromMinutes(10);
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var database = "issuer-" + Guid.NewGuid().ToString("N");
        builder.Services.AddDbContext<IssuerDbContext>(o =>
        {
            o.UseInMemoryDatabase(database);
            o.UseOpenIddict();
        });
        builder.Services.AddOpenIddict()
            .AddCore(o => o.UseEntityFrameworkCore().UseDbContext<IssuerDbContext>())
            .AddServer(o =>
            {
                o.SetTokenEndpointUris("connect/token")
                    .SetAuthorizationEndpointUris("connect/authorize")
                    .SetDeviceAuthorizationEndpointUris("connect/device")
                    .SetEndUserVerificationEndpointUris("connect/verify")
                    .SetRevocationEndpointUris("connect/revoke");
                o.AllowClientCredentialsFlow()
                    .AllowDeviceAuthorizationFlow()
                    .AllowAuthorizationCodeFlow()
                    .RequireProofKeyForCodeExchange()
                    .AllowRefreshTokenFlow();
                o.RegisterScopes(Scopes.OpenId, Scopes.OfflineAccess, Scopes.Profile);
                o.AddSigningKey(NewKey());
                o.AddEphemeralEncryptionKey();
                o.DisableAccessTokenEncryption();
                o.SetAccessTokenLifetime(lifetime);
                o.UseAspNetCore()
                    .DisableTransportSecurityRequirement()
                    .EnableTokenEndpointPassthrough()
                    .EnableAuthorizationEndpointPassthrough()
                    .EnableEndUserVerificationEndpointPassthrough();
            });
        var app = builder.Build();
        var issuer = new TestIssuer(app, lifetime);
        app.MapPost("connect/token", (Delegate)issuer.TokenAsync);
        app.MapMethods("connect/authorize", ["GET", "POST"], (Delegate)issuer.AuthorizeAsync);
        app.MapMethods("connect/verify", ["GET", "POST"], (Delegate)issuer.VerifyAsync);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        issuer.Url = new Uri(address.TrimEnd('/') + "/");
        await issuer.RegisterClientsAsync(cliRedirectUris ?? []);
        return issuer;
    }

    /// <summary>Gives <paramref name="user"/> these roles in the tokens it is issued from now on.</summary>
    public void SetRoles(string user, params string[] roles) => _userRoles[user] = roles;

    /// <summary>Signs tokens with a new RS256 key from now on; the old key stays published until <see cref="RemoveKey"/>.</summary>
    public RsaSecurityKey RotateSigningKey()
    {
        var key = NewKey();
        ServerOptions.SigningCredentials.Insert(0, new SigningCredentials(key, SecurityAlgorithms.RsaSha256));
        return key;
    }

    /// <summary>Stops publishing (and signing with) the key <paramref name="keyId"/>.</summary>
    public void RemoveKey(string keyId) => ServerOptions.SigningCredentials.RemoveAll(c => c.Kid == keyId || c.Key.KeyId == keyId);

    /// <summary>An access token from the client credentials flow of <paramref name="clientId"/>.</summary>
    public async Task<string> ClientCredentialsTokenAsync(string clientId)
    {
        using var client = new HttpClient { BaseAddress = Url };
        using var response = await client.PostAsync("connect/token", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = GrantTypes.ClientCredentials, ["client_id"] = clientId, ["client_secret"] = ClientSecret,
        }));
        var body = await response.Content.ReadAsStringAsync();
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"The issuer refused the client credentials grant: {(int)response.StatusCode} {body}");
        }
        using var json = System.Text.Json.JsonDocument.Parse(body);
        return json.RootElement.GetProperty("access_token").GetString()!;
    }

    /// <summary>A token signed with the issuer's current key (or <paramref name="key"/>) carrying exactly the given
    /// claims: for the cases the issuer itself would never issue (expired, wrong audience, wrong issuer).</summary>
    public string Sign(IDictionary<string, object> claims, SecurityKey? key = null, string algorithm = SecurityAlgorithms.RsaSha256)
    {
        var handler = new JsonWebTokenHandler { SetDefaultTimesOnTokenCreation = false };
        return handler.CreateToken(new SecurityTokenDescriptor
        {
            Claims = claims,
            SigningCredentials = new SigningCredentials(key ?? CurrentKey, algorithm),
            TokenType = "at+jwt",
        });
    }

    /// <summary>The claims of a well-formed token for <paramref name="subject"/>, valid from <paramref name="now"/> for
    /// the issuer's access token lifetime; tests change one of them.</summary>
    public Dictionary<string, object> TokenClaims(string subject, DateTimeOffset now) => new()
    {
        ["iss"] = Url.AbsoluteUri,
        ["aud"] = Audience,
        ["sub"] = subject,
        ["preferred_username"] = subject,
        ["iat"] = now.ToUnixTimeSeconds(),
        ["nbf"] = now.ToUnixTimeSeconds(),
        ["exp"] = (now + AccessTokenLifetime).ToUnixTimeSeconds(),
        ["jti"] = Guid.NewGuid().ToString("N"),
    };

    /// <summary>The person approves the device code <paramref name="userCode"/> as <paramref name="user"/>, as they would
    /// on the verification page; throws if the issuer does not accept it.</summary>
    public async Task ApproveUserCodeAsync(string userCode, string user)
    {
        using var client = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = Url };
        using var response = await client.PostAsync("connect/verify", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["user_code"] = userCode, ["user"] = user,
        }));
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"The issuer did not approve user code {userCode}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        }
    }

    /// <summary>Whether the refresh token was revoked (redeeming it fails).</summary>
    public async Task<bool> RefreshTokenWorksAsync(string refreshToken)
    {
        using var client = new HttpClient { BaseAddress = Url };
        using var response = await client.PostAsync("connect/token", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = GrantTypes.RefreshToken, ["client_id"] = CliClientId, ["refresh_token"] = refreshToken,
        }));
        return response.IsSuccessStatusCode;
    }

    private async Task RegisterClientsAsync(IEnumerable<string> cliRedirectUris)
    {
        await using var scope = _app.Services.CreateAsyncScope();
        var manager = scope.ServiceProvider.GetRequiredService<IOpenIddictApplicationManager>();
        foreach (var clientId in new[] { AdminClientId, UserClientId })
        {
            await manager.CreateAsync(new OpenIddictApplicationDescriptor
            {
                ClientId = clientId,
                ClientSecret = ClientSecret,
                ClientType = ClientTypes.Confidential,
                Permissions = { Permissions.Endpoints.Token, Permissions.GrantTypes.ClientCredentials },
            });
        }
        var cli = new OpenIddictApplicationDescriptor
        {
            ClientId = CliClientId,
            ClientType = ClientTypes.Public,
            Permissions =
            {
                Permissions.Endpoints.Token, Permissions.Endpoints.DeviceAuthorization, Permissions.Endpoints.Authorization,
                Permissions.Endpoints.Revocation, Permissions.GrantTypes.DeviceCode, Permissions.GrantTypes.AuthorizationCode,
                Permissions.GrantTypes.RefreshToken, Permissions.ResponseTypes.Code,
                Permissions.Prefixes.Scope + Scopes.OfflineAccess, Permissions.Prefixes.Scope + Scopes.Profile,
            },
            Requirements = { Requirements.Features.ProofKeyForCodeExchange },
        };
        foreach (var uri in cliRedirectUris)
        {
            cli.RedirectUris.Add(new Uri(uri));
        }
        await manager.CreateAsync(cli);
    }

    /// <summary>Adds a redirect URI (the CLI's loopback callback on a port the test picked) to the CLI's client.</summary>
    public async Task AllowCliRedirectUriAsync(string uri)
    {
        await using var scope = _app.Services.CreateAsyncScope();
        var manager = scope.ServiceProvider.GetRequiredService<IOpenIddictApplicationManager>();
        var application = await manager.FindByClientIdAsync(CliClientId) ?? throw new InvalidOperationException("No CLI client.");
        var descriptor = new OpenIddictApplicationDescriptor();
        await manager.PopulateAsync(descriptor, application);
        descriptor.RedirectUris.Add(new Uri(uri));
        await manager.UpdateAsync(application, descriptor);
    }

    private async Task<IResult> TokenAsync(HttpContext context)
    {
        var request = context.GetOpenIddictServerRequest() ?? throw new InvalidOperationException("Not an OpenID Connect request.");
        if (request.IsClientCredentialsGrantType())
        {
            var roles = request.ClientId == AdminClientId ? new[] { AdminRole } : [];
            return SignIn(Principal(request.ClientId!, roles, [], context));
        }
        // Device code, authorization code and refresh token: the principal stored with the code or token, roles as now.
        var result = await context.AuthenticateAsync(OpenIddictServerAspNetCoreDefaults.AuthenticationScheme);
        var subject = result.Principal?.GetClaim(Claims.Subject);
        if (subject is null)
        {
            return Results.Forbid(authenticationSchemes: [OpenIddictServerAspNetCoreDefaults.AuthenticationScheme]);
        }
        return SignIn(Principal(subject, _userRoles.GetValueOrDefault(subject, []), result.Principal!.GetScopes(), context));
    }

    private async Task<IResult> AuthorizeAsync(HttpContext context)
    {
        var request = context.GetOpenIddictServerRequest() ?? throw new InvalidOperationException("Not an OpenID Connect request.");
        await Task.CompletedTask;
        var user = BrowserUser;
        return SignIn(Principal(user, _userRoles.GetValueOrDefault(user, []), request.GetScopes(), context));
    }

    private async Task<IResult> VerifyAsync(HttpContext context)
    {
        var result = await context.AuthenticateAsync(OpenIddictServerAspNetCoreDefaults.AuthenticationScheme);
        if (!result.Succeeded || !context.Request.HasFormContentType)
        {
            return Results.BadRequest("unknown or expired user code");
        }
        var form = await context.Request.ReadFormAsync();
        var user = form["user"].ToString();
        return SignIn(Principal(user, _userRoles.GetValueOrDefault(user, []), result.Principal!.GetScopes(), context));
    }

    private static IResult SignIn(ClaimsPrincipal principal)
        => Results.SignIn(principal, properties: null, OpenIddictServerAspNetCoreDefaults.AuthenticationScheme);

    private static ClaimsPrincipal Principal(string subject, IEnumerable<string> roles, IEnumerable<string> scopes, HttpContext context)
    {
        var identity = new ClaimsIdentity(OpenIddictServerAspNetCoreDefaults.AuthenticationScheme, Claims.Name, Claims.Role);
        identity.SetClaim(Claims.Subject, subject);
        identity.SetClaim(Claims.PreferredUsername, subject);
        identity.SetClaims(Claims.Role, [.. roles]);
        identity.SetScopes(scopes);
        identity.SetResources(Audience);
        identity.SetDestinations(static _ => [Destinations.AccessToken]);
        _ = context;
        return new ClaimsPrincipal(identity);
    }

    private static RsaSecurityKey NewKey()
        => new(RSA.Create(2048)) { KeyId = "key-" + Guid.NewGuid().ToString("N")[..12] };

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();
}

internal sealed class IssuerDbContext(DbContextOptions<IssuerDbContext> options) : DbContext(options);
