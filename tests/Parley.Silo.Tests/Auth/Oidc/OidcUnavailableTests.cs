using System.Net;
using Parley.Oidc.Testing;
using Parley.Silo.Auth.Oidc;
using Parley.Silo.Tests.Infrastructure;
using Parley.Testing;
using Xunit;

namespace Parley.Silo.Tests.Auth.Oidc;

/// <summary>An issuer that cannot be reached: JWT callers get 503 (retry later), not 401 (sign in again), and virtual
/// keys are not affected.</summary>
public sealed class OidcUnavailableTests
{
    [Fact]
    public async Task Tokens_get_503_oidc_unavailable_while_the_issuers_metadata_was_never_read_and_keys_still_work()
    {
        // The issuer runs long enough to mint a well-formed token, then is gone before the silo ever asks it.
        string token;
        Uri gone;
        await using (var issuer = await TestIssuer.StartAsync())
        {
            token = await issuer.ClientCredentialsTokenAsync(TestIssuer.UserClientId);
            gone = issuer.Url;
        }
        await using var harness = await SiloHarness.StartAsync(settings =>
        {
            settings["Parley:Auth:Oidc:Authority"] = gone.AbsoluteUri;
            settings["Parley:Auth:Oidc:Audience"] = TestIssuer.Audience;
            settings["Parley:Auth:Oidc:RequireHttpsMetadata"] = "false";
        });

        using var refused = await harness.CreateClient(token).GetAsync("v1/models");
        await refused.AssertErrorAsync(HttpStatusCode.ServiceUnavailable, JwtErrors.OidcUnavailableCode, type: "server_error");

        var (_, key) = await harness.CreateUserAsync("still-works");
        using var ok = await harness.CreateClient(key).GetAsync("v1/models");
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
    }
}
