using Microsoft.Extensions.DependencyInjection;
using Parley.Oidc.Testing;
using Parley.Silo.Tests.Infrastructure;
using Parley.Testing;
using Xunit;

namespace Parley.Silo.Tests.Auth.Oidc;

/// <summary>A real OpenIddict issuer on loopback and a silo that trusts it (admin role: <see cref="TestIssuer.AdminRole"/>
/// in the <c>role</c> claim).</summary>
public sealed class OidcSilo : IAsyncDisposable
{
    private OidcSilo(TestIssuer issuer, SiloHarness harness)
    {
        Issuer = issuer;
        Harness = harness;
    }

    public TestIssuer Issuer { get; }

    public SiloHarness Harness { get; }

    /// <param name="clock">Drives the silo's clock (token lifetimes, metadata refreshes) when given.</param>
    public static async Task<OidcSilo> StartAsync(ManualTimeProvider? clock = null, Action<IDictionary<string, string?>>? configure = null)
    {
        var issuer = await TestIssuer.StartAsync();
        try
        {
            var harness = await SiloHarness.StartAsync(settings =>
            {
                foreach (var (key, value) in Settings(issuer))
                {
                    settings[key] = value;
                }
                configure?.Invoke(settings);
            }, configureBuilder: clock is null ? null : b => b.Services.AddSingleton<TimeProvider>(clock));
            return new OidcSilo(issuer, harness);
        }
        catch
        {
            await issuer.DisposeAsync();
            throw;
        }
    }

    public static Dictionary<string, string?> Settings(TestIssuer issuer) => new()
    {
        ["Parley:Auth:Oidc:Authority"] = issuer.Url.AbsoluteUri,
        ["Parley:Auth:Oidc:Audience"] = TestIssuer.Audience,
        ["Parley:Auth:Oidc:RequireHttpsMetadata"] = "false",
        ["Parley:Auth:Oidc:AdminClaimType"] = TestIssuer.RoleClaim,
        ["Parley:Auth:Oidc:AdminClaimValue"] = TestIssuer.AdminRole,
    };

    public HttpClient Client(string? token) => Harness.CreateClient(token);

    public async ValueTask DisposeAsync()
    {
        await Harness.DisposeAsync();
        await Issuer.DisposeAsync();
    }
}

public sealed class OidcFixture : IAsyncLifetime
{
    private OidcSilo? _silo;

    public OidcSilo Silo => _silo ?? throw new InvalidOperationException("Not started.");

    public async Task InitializeAsync() => _silo = await OidcSilo.StartAsync();

    public async Task DisposeAsync()
    {
        if (_silo is not null)
        {
            await _silo.DisposeAsync();
        }
    }
}
