using System.Net;
using Parley.Oidc.Testing;
using Parley.Silo.Auth.Oidc;
using Parley.Silo.Tests.Infrastructure;
using Parley.Testing;
using Xunit;

namespace Parley.Silo.Tests.Auth.Oidc;

/// <summary>The issuer's keys and time, on a silo whose clock the test drives: a rotated-in key is fetched on its first
/// token, unknown key ids refresh at most every UnknownKeyRefreshInterval, a removed key stops working at the next
/// metadata refresh, and a real token from the issuer expires after its lifetime plus the bounded skew.</summary>
public sealed class OidcKeyRotationTests
{
    [Fact]
    public async Task A_rotated_key_is_accepted_at_once_the_old_one_until_the_issuer_removes_it()
    {
        var clock = new ManualTimeProvider(DateTimeOffset.UtcNow);
        var refresh = TimeSpan.FromMinutes(1);
        await using var silo = await OidcSilo.StartAsync(clock, s => s["Parley:Auth:Oidc:MetadataRefreshInterval"] = refresh.ToString());
        var issuer = silo.Issuer;
        var oldKeyId = issuer.CurrentKey.KeyId;
        var oldToken = await issuer.ClientCredentialsTokenAsync(TestIssuer.UserClientId);
        await AssertOkAsync(silo, oldToken);

        // The silo read the keys just now; a token with a key it does not know makes it read them again at once.
        clock.Advance(OidcOptions.DefaultUnknownKeyRefreshInterval);
        issuer.RotateSigningKey();
        var newToken = await issuer.ClientCredentialsTokenAsync(TestIssuer.UserClientId);
        Assert.NotEqual(oldKeyId, issuer.CurrentKey.KeyId);
        await AssertOkAsync(silo, newToken);
        await AssertOkAsync(silo, oldToken);

        // Removed at the issuer: still trusted until the silo's next periodic read, then refused.
        issuer.RemoveKey(oldKeyId);
        await AssertOkAsync(silo, oldToken);
        clock.Advance(refresh);
        using var refused = await silo.Client(oldToken).GetAsync("v1/models");
        await refused.AssertErrorAsync(HttpStatusCode.Unauthorized, JwtErrors.InvalidSignatureCode);
        await AssertOkAsync(silo, newToken);
    }

    [Fact]
    public async Task Unknown_key_ids_make_the_silo_read_the_keys_at_most_once_per_interval()
    {
        var clock = new ManualTimeProvider(DateTimeOffset.UtcNow);
        await using var silo = await OidcSilo.StartAsync(clock);
        var issuer = silo.Issuer;
        await AssertOkAsync(silo, await issuer.ClientCredentialsTokenAsync(TestIssuer.UserClientId));

        // Within the interval of the last read, a new key is not looked for: the token is refused...
        issuer.RotateSigningKey();
        var newToken = await issuer.ClientCredentialsTokenAsync(TestIssuer.UserClientId);
        using (var refused = await silo.Client(newToken).GetAsync("v1/models"))
        {
            await refused.AssertErrorAsync(HttpStatusCode.Unauthorized, JwtErrors.InvalidSignatureCode);
        }
        clock.Advance(OidcOptions.DefaultUnknownKeyRefreshInterval - TimeSpan.FromSeconds(1));
        using (var refused = await silo.Client(newToken).GetAsync("v1/models"))
        {
            await refused.AssertErrorAsync(HttpStatusCode.Unauthorized, JwtErrors.InvalidSignatureCode);
        }
        // ...and once the interval has passed, the same token makes it read them and is accepted.
        clock.Advance(TimeSpan.FromSeconds(1));
        await AssertOkAsync(silo, newToken);
    }

    [Fact]
    public async Task A_real_token_expires_after_its_lifetime_plus_the_clock_skew()
    {
        var clock = new ManualTimeProvider(DateTimeOffset.UtcNow);
        await using var silo = await OidcSilo.StartAsync(clock);
        var before = DateTimeOffset.UtcNow;
        var token = await silo.Issuer.ClientCredentialsTokenAsync(TestIssuer.UserClientId);
        var after = DateTimeOffset.UtcNow;
        var exp = ReadExpiry(token);
        // exp has whole seconds; the issuer stamped it between before and after.
        Assert.InRange(exp, before + silo.Issuer.AccessTokenLifetime - TimeSpan.FromSeconds(1), after + silo.Issuer.AccessTokenLifetime);

        clock.SetUtcNow(exp + OidcOptions.DefaultClockSkew - TimeSpan.FromSeconds(1));
        await AssertOkAsync(silo, token);
        clock.SetUtcNow(exp + OidcOptions.DefaultClockSkew + TimeSpan.FromSeconds(1));
        using var refused = await silo.Client(token).GetAsync("v1/models");
        await refused.AssertErrorAsync(HttpStatusCode.Unauthorized, JwtErrors.TokenExpiredCode);
    }

    private static DateTimeOffset ReadExpiry(string token)
        => new Microsoft.IdentityModel.JsonWebTokens.JsonWebToken(token).ValidTo is var exp ? new DateTimeOffset(exp, TimeSpan.Zero) : default;

    private static async Task AssertOkAsync(OidcSilo silo, string token)
    {
        using var response = await silo.Client(token).GetAsync("v1/models");
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"Expected 200, got {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
    }
}
