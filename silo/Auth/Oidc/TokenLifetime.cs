using Microsoft.IdentityModel.Tokens;

namespace Parley.Silo.Auth.Oidc;

/// <summary>exp and nbf checked against the silo's <see cref="TimeProvider"/> (not the wall clock directly), within
/// the configured skew; the failures are IdentityModel's own exceptions, so they are answered as such.</summary>
internal static class TokenLifetime
{
    public static LifetimeValidator Validator(TimeProvider time) => (notBefore, expires, _, parameters) =>
    {
        if (expires is null)
        {
            throw new SecurityTokenNoExpirationException("The token has no expiration time.");
        }
        var now = time.GetUtcNow().UtcDateTime;
        if (notBefore is { } nbf && nbf > now + parameters.ClockSkew)
        {
            throw new SecurityTokenNotYetValidException("The token is not valid yet.") { NotBefore = nbf };
        }
        if (expires.Value < now - parameters.ClockSkew)
        {
            throw new SecurityTokenExpiredException("The token has expired.") { Expires = expires.Value };
        }
        return true;
    };
}
