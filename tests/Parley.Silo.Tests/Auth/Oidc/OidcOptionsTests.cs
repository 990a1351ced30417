using Parley.Silo.Auth.Oidc;
using Xunit;

namespace Parley.Silo.Tests.Auth.Oidc;

/// <summary>Parley:Auth:Oidc is validated when the silo starts: what a bank's reviewer would refuse is refused.</summary>
public sealed class OidcOptionsTests
{
    private static OidcOptions Valid() => new() { Authority = "https://login.example.com/realms/staff", Audience = "parley-api" };

    [Fact]
    public void Unset_authority_is_off_and_valid() => Assert.True(new OidcOptionsValidator().Validate(null, new OidcOptions()).Succeeded);

    [Fact]
    public void A_complete_https_configuration_is_valid() => Assert.True(new OidcOptionsValidator().Validate(null, Valid()).Succeeded);

    public static TheoryData<string, Action<OidcOptions>> Invalid => new()
    {
        { "Parley:Auth:Oidc:Audience is required when Authority is set.", o => o.Audience = null },
        { "Parley:Auth:Oidc:Authority must use https (RequireHttpsMetadata is true).", o => o.Authority = "http://login.example.com/" },
        { "Parley:Auth:Oidc:RequireHttpsMetadata may be false only for an issuer on a loopback address.", o => o.RequireHttpsMetadata = false },
        { "Parley:Auth:Oidc:Authority must be an absolute http(s) URL without query or fragment.", o => o.Authority = "login.example.com" },
        { "Parley:Auth:Oidc:ClockSkew must be between 0 and 00:05:00.", o => o.ClockSkew = TimeSpan.FromMinutes(6) },
        { "Parley:Auth:Oidc:ClockSkew must be between 0 and 00:05:00.", o => o.ClockSkew = TimeSpan.FromSeconds(-1) },
        { "Parley:Auth:Oidc:AllowedAlgorithms: 'HS256' is not allowed; use asymmetric algorithms (RS256, RS384, RS512, PS256, PS384, PS512, ES256, ES384, ES512).", o => o.AllowedAlgorithms.Add("HS256") },
        { "Parley:Auth:Oidc:AllowedAlgorithms: 'none' is not allowed; use asymmetric algorithms (RS256, RS384, RS512, PS256, PS384, PS512, ES256, ES384, ES512).", o => o.AllowedAlgorithms.Add("none") },
        { "Parley:Auth:Oidc:UserClaim must name a claim.", o => o.UserClaim = " " },
        { "Parley:Auth:Oidc:AdminClaimType must name a claim when AdminClaimValue is set.", o => { o.AdminClaimType = ""; o.AdminClaimValue = "admins"; } },
        { "Parley:Auth:Oidc:MetadataRefreshInterval must be between 00:01:00 and 1.00:00:00.", o => { o.MetadataRefreshInterval = TimeSpan.FromSeconds(10); o.UnknownKeyRefreshInterval = TimeSpan.FromSeconds(5); } },
        { "Parley:Auth:Oidc:UnknownKeyRefreshInterval must be at least 00:00:01 and at most MetadataRefreshInterval.", o => o.UnknownKeyRefreshInterval = TimeSpan.Zero },
    };

    [Theory]
    [MemberData(nameof(Invalid))]
    public void An_unsafe_or_incomplete_setting_fails_with_one_exact_message(string message, Action<OidcOptions> change)
    {
        var options = Valid();
        change(options);
        var result = new OidcOptionsValidator().Validate(null, options);
        Assert.Equal([message], result.Failures);
    }

    [Fact]
    public void Plain_http_is_allowed_for_a_loopback_issuer_only_when_asked()
    {
        var options = Valid();
        options.Authority = "http://127.0.0.1:5000/";
        options.RequireHttpsMetadata = false;
        Assert.True(new OidcOptionsValidator().Validate(null, options).Succeeded);
    }
}
