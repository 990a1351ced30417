using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.IdentityModel.Tokens;
using Parley.Oidc.Testing;
using Parley.Silo.Auth.Oidc;
using Parley.Silo.Tests.Infrastructure;
using Xunit;

namespace Parley.Silo.Tests.Auth.Oidc;

/// <summary>JWT bearer tokens from a real OpenIddict issuer, beside virtual keys: who the caller is, what it may do, and
/// the exact refusal of every kind of bad token (401 in OpenAI's shape with <c>WWW-Authenticate</c>).</summary>
public sealed class OidcAuthTests(OidcFixture fixture) : IClassFixture<OidcFixture>
{
    private OidcSilo Silo => fixture.Silo;
    private TestIssuer Issuer => Silo.Issuer;

    [Fact]
    public async Task A_token_from_the_issuer_is_its_user_provisioned_on_first_use()
    {
        var token = await Issuer.ClientCredentialsTokenAsync(TestIssuer.UserClientId);
        var expectedUser = OidcUserIds.For(Issuer.Url.AbsoluteUri, TestIssuer.UserClientId);

        using var usage = await Silo.Client(token).GetAsync("v1/usage");
        Assert.Equal(HttpStatusCode.OK, usage.StatusCode);
        Assert.Equal(expectedUser, (await usage.ReadJsonAsync()).GetProperty("user_id").GetString());
        Assert.Matches("^user_[0-9a-f]{24}$", expectedUser);

        using var user = await Silo.Client(Silo.Harness.AdminKey).GetAsync($"admin/users/{expectedUser}");
        var body = await user.ReadJsonAsync();
        Assert.Equal(HttpStatusCode.OK, user.StatusCode);
        Assert.Equal(TestIssuer.UserClientId, body.GetProperty("name").GetString());

        using var chat = await Silo.Client(token).PostChatAsync(Bodies.Simple());
        Assert.Equal(HttpStatusCode.OK, chat.StatusCode);
    }

    [Fact]
    public async Task The_admin_role_opens_the_admin_api_and_a_token_without_it_gets_403()
    {
        var admin = await Issuer.ClientCredentialsTokenAsync(TestIssuer.AdminClientId);
        using (var users = await Silo.Client(admin).GetAsync("admin/users"))
        {
            Assert.Equal(HttpStatusCode.OK, users.StatusCode);
        }

        var user = await Issuer.ClientCredentialsTokenAsync(TestIssuer.UserClientId);
        using var refused = await Silo.Client(user).GetAsync("admin/users");
        var error = await refused.AssertErrorAsync(HttpStatusCode.Forbidden, "insufficient_permissions", type: "permission_error");
        Assert.Equal("This endpoint requires the Parley admin key.", error.GetProperty("message").GetString());

        // On the public API an admin is its own user, under its own quotas: one request a minute means one.
        var adminUser = OidcUserIds.For(Issuer.Url.AbsoluteUri, TestIssuer.AdminClientId);
        using (var put = await Silo.Client(Silo.Harness.AdminKey).PutAsync($"admin/users/{adminUser}/limits", Http.Json("""{"requests_per_minute":1}""")))
        {
            Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        }
        using (var first = await Silo.Client(admin).PostChatAsync(Bodies.Simple()))
        {
            Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        }
        using var second = await Silo.Client(admin).PostChatAsync(Bodies.Simple());
        await second.AssertErrorAsync(HttpStatusCode.TooManyRequests, "rate_limit_exceeded", type: "requests");
    }

    [Fact]
    public async Task The_dashboard_takes_an_admin_token_and_refuses_a_user_token()
    {
        var admin = await Issuer.ClientCredentialsTokenAsync(TestIssuer.AdminClientId);
        using (var page = await Silo.Client(admin).GetAsync("dashboard/"))
        {
            Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        }
        var user = await Issuer.ClientCredentialsTokenAsync(TestIssuer.UserClientId);
        using var refused = await Silo.Client(user).GetAsync("dashboard/");
        await refused.AssertErrorAsync(HttpStatusCode.Forbidden, "insufficient_permissions", type: "permission_error");
    }

    [Fact]
    public async Task Virtual_keys_keep_working_beside_tokens()
    {
        var (userId, key) = await Silo.Harness.CreateUserAsync("key-user");
        using var usage = await Silo.Client(key).GetAsync("v1/usage");
        Assert.Equal(HttpStatusCode.OK, usage.StatusCode);
        Assert.Equal(userId, (await usage.ReadJsonAsync()).GetProperty("user_id").GetString());

        using var unknown = await Silo.Client("sk-parley-thisKeyWasNeverIssued0000000000000000000").GetAsync("v1/models");
        await unknown.AssertErrorAsync(HttpStatusCode.Unauthorized, "invalid_api_key");
        Assert.Equal("Bearer", unknown.Headers.WwwAuthenticate.Single().Scheme);
    }

    [Fact]
    public async Task A_disabled_user_is_refused_at_once_although_its_token_is_valid()
    {
        Issuer.SetRoles("carol");
        var now = DateTimeOffset.UtcNow;
        var token = Issuer.Sign(Issuer.TokenClaims("carol", now));
        using (var ok = await Silo.Client(token).GetAsync("v1/models"))
        {
            Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        }
        var userId = OidcUserIds.For(Issuer.Url.AbsoluteUri, "carol");
        using (var disable = await Silo.Client(Silo.Harness.AdminKey).DeleteAsync($"admin/users/{userId}"))
        {
            Assert.Equal(HttpStatusCode.OK, disable.StatusCode);
        }
        using var refused = await Silo.Client(token).GetAsync("v1/models");
        await AssertRefusedAsync(refused, JwtErrors.UserDisabledCode);
    }

    [Fact]
    public async Task An_expired_token_is_401_token_expired_and_one_just_past_exp_is_within_the_skew()
    {
        // Real time here (margins of 25 s and 4.5 min around the 30 s skew); the exact boundary is checked on a manual
        // clock in OidcKeyRotationTests.
        var now = DateTimeOffset.UtcNow;
        var withinSkew = Issuer.TokenClaims("dave", now - TimeSpan.FromMinutes(10));
        withinSkew["exp"] = (now - TimeSpan.FromSeconds(5)).ToUnixTimeSeconds();
        using (var ok = await Silo.Client(Issuer.Sign(withinSkew)).GetAsync("v1/models"))
        {
            Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        }

        var expired = Issuer.TokenClaims("dave", now - TimeSpan.FromMinutes(10));
        expired["exp"] = (now - TimeSpan.FromMinutes(5)).ToUnixTimeSeconds();
        using var refused = await Silo.Client(Issuer.Sign(expired)).GetAsync("v1/models");
        await AssertRefusedAsync(refused, JwtErrors.TokenExpiredCode);
    }

    [Fact]
    public async Task A_token_for_another_audience_is_401_invalid_audience()
    {
        var claims = Issuer.TokenClaims("erin", DateTimeOffset.UtcNow);
        claims["aud"] = "some-other-api";
        using var refused = await Silo.Client(Issuer.Sign(claims)).GetAsync("v1/models");
        await AssertRefusedAsync(refused, JwtErrors.InvalidAudienceCode);
    }

    [Fact]
    public async Task A_token_naming_another_issuer_is_401_invalid_issuer()
    {
        var claims = Issuer.TokenClaims("erin", DateTimeOffset.UtcNow);
        claims["iss"] = "http://127.0.0.1:1/";
        using var refused = await Silo.Client(Issuer.Sign(claims)).GetAsync("v1/models");
        await AssertRefusedAsync(refused, JwtErrors.InvalidIssuerCode);
    }

    [Fact]
    public async Task An_unsigned_alg_none_token_is_401_invalid_algorithm()
    {
        var header = Base64UrlEncoder.Encode("""{"alg":"none","typ":"JWT"}""");
        var payload = Base64UrlEncoder.Encode(JsonSerializer.Serialize(Issuer.TokenClaims("mallory", DateTimeOffset.UtcNow)));
        using var refused = await Silo.Client($"{header}.{payload}.").GetAsync("v1/models");
        await AssertRefusedAsync(refused, JwtErrors.InvalidAlgorithmCode);
    }

    [Fact]
    public async Task The_issuers_RSA_public_key_used_as_an_HS256_secret_is_401_invalid_algorithm()
    {
        // The classic key-confusion forgery: HMAC-sign with the bytes of the public key that the JWKS publishes.
        var rsa = Issuer.CurrentKey.Rsa.ExportSubjectPublicKeyInfo();
        var pem = Encoding.ASCII.GetBytes(PemEncoding.WriteString("PUBLIC KEY", rsa));
        foreach (var secret in new[] { rsa, pem })
        {
            var forged = Issuer.Sign(Issuer.TokenClaims("mallory", DateTimeOffset.UtcNow), new SymmetricSecurityKey(secret) { KeyId = Issuer.CurrentKey.KeyId },
                SecurityAlgorithms.HmacSha256);
            using var refused = await Silo.Client(forged).GetAsync("v1/models");
            await AssertRefusedAsync(refused, JwtErrors.InvalidAlgorithmCode);
        }
    }

    [Fact]
    public async Task A_token_signed_by_a_key_the_issuer_never_published_is_401_invalid_signature()
    {
        using var other = RSA.Create(2048);
        var forged = Issuer.Sign(Issuer.TokenClaims("mallory", DateTimeOffset.UtcNow), new RsaSecurityKey(other) { KeyId = Issuer.CurrentKey.KeyId });
        using var refused = await Silo.Client(forged).GetAsync("v1/models");
        await AssertRefusedAsync(refused, JwtErrors.InvalidSignatureCode);
    }

    [Theory]
    [InlineData("eyJhbGciOiJSUzI1NiJ9.not-base64!.x")]
    [InlineData("eyJub3QganNvbg.e30.")]
    public async Task A_malformed_jwt_is_401_invalid_token(string token)
    {
        using var refused = await Silo.Client(token).GetAsync("v1/models");
        await AssertRefusedAsync(refused, JwtErrors.InvalidTokenCode);
    }

    [Fact]
    public async Task A_token_without_the_user_claim_is_401_invalid_token()
    {
        var claims = Issuer.TokenClaims("nobody", DateTimeOffset.UtcNow);
        claims.Remove("sub");
        using var refused = await Silo.Client(Issuer.Sign(claims)).GetAsync("v1/models");
        await AssertRefusedAsync(refused, JwtErrors.InvalidTokenCode);
    }

    private static async Task AssertRefusedAsync(HttpResponseMessage response, string code)
    {
        var error = await response.AssertErrorAsync(HttpStatusCode.Unauthorized, code);
        var challenge = Assert.Single(response.Headers.WwwAuthenticate);
        Assert.Equal("Bearer", challenge.Scheme);
        Assert.Equal($"error=\"invalid_token\", error_description=\"{error.GetProperty("message").GetString()}\"", challenge.Parameter);
    }
}
