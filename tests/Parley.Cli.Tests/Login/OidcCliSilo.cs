using Parley.Cli.Tests.Infrastructure;
using Parley.Oidc.Testing;

namespace Parley.Cli.Tests.Login;

/// <summary>A real OpenIddict issuer and a silo that trusts its tokens. Access tokens live 60 s, inside the CLI's
/// refresh margin, so every command after the login renews them with the refresh token.</summary>
public sealed class OidcCliSilo : IAsyncLifetime
{
    private TestIssuer? _issuer;
    private TrustingSilo? _silo;

    public TestIssuer Issuer => _issuer ?? throw new InvalidOperationException("not started");

    public CliSilo Silo => _silo ?? throw new InvalidOperationException("not started");

    /// <summary>The issuer URL as the CLI is given it.</summary>
    public string IssuerUrl => Issuer.Url.AbsoluteUri.TrimEnd('/');

    public async Task InitializeAsync()
    {
        _issuer = await TestIssuer.StartAsync(accessTokenLifetime: TimeSpan.FromSeconds(60));
        _silo = new TrustingSilo(_issuer);
        await _silo.InitializeAsync();
    }

    public async Task DisposeAsync()
    {
        if (_silo is not null)
        {
            await _silo.DisposeAsync();
        }
        if (_issuer is not null)
        {
            await _issuer.DisposeAsync();
        }
    }

    private sealed class TrustingSilo(TestIssuer issuer) : CliSilo
    {
        protected override void Configure(IDictionary<string, string?> settings)
        {
            settings["Parley:Auth:Oidc:Authority"] = issuer.Url.AbsoluteUri;
            settings["Parley:Auth:Oidc:Audience"] = TestIssuer.Audience;
            settings["Parley:Auth:Oidc:RequireHttpsMetadata"] = "false";
            settings["Parley:Auth:Oidc:AdminClaimType"] = TestIssuer.RoleClaim;
            settings["Parley:Auth:Oidc:AdminClaimValue"] = TestIssuer.AdminRole;
        }
    }
}
