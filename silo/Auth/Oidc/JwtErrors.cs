using Microsoft.AspNetCore.Http;
using Microsoft.IdentityModel.Tokens;
using Parley.Silo.Api;

namespace Parley.Silo.Auth.Oidc;

/// <summary>What a refused JWT is answered: 401 in OpenAI's error shape with a code naming the reason, and
/// <c>WWW-Authenticate: Bearer error="invalid_token"</c> (RFC 6750 §3). The messages name the check that failed, never
/// the token or its claims.</summary>
internal static class JwtErrors
{
    public const string InvalidTokenCode = "invalid_token";
    public const string TokenExpiredCode = "token_expired";
    public const string TokenNotYetValidCode = "token_not_yet_valid";
    public const string InvalidAudienceCode = "invalid_audience";
    public const string InvalidIssuerCode = "invalid_issuer";
    public const string InvalidAlgorithmCode = "invalid_algorithm";
    public const string InvalidSignatureCode = "invalid_signature";
    public const string UserDisabledCode = "user_disabled";
    public const string OidcUnavailableCode = "oidc_unavailable";

    public static (string Code, string Message) Describe(Exception? failure) => failure switch
    {
        SecurityTokenExpiredException => (TokenExpiredCode, "The access token has expired. Sign in again."),
        SecurityTokenNotYetValidException => (TokenNotYetValidCode, "The access token is not valid yet."),
        SecurityTokenInvalidAudienceException => (InvalidAudienceCode, "The access token was not issued for this server (wrong audience)."),
        SecurityTokenInvalidIssuerException => (InvalidIssuerCode, "The access token was not issued by this server's identity provider (wrong issuer)."),
        SecurityTokenInvalidAlgorithmException => (InvalidAlgorithmCode, "The access token is signed with an algorithm this server does not accept."),
        SecurityTokenSignatureKeyNotFoundException or SecurityTokenInvalidSignatureException
            => (InvalidSignatureCode, "The access token's signature does not verify with the identity provider's keys."),
        UserDisabledException => (UserDisabledCode, "The user of this access token is disabled. Ask your Parley administrator."),
        _ => (InvalidTokenCode, "The access token is malformed or invalid."),
    };

    public static Task WriteAsync(HttpContext context, Exception? failure)
    {
        if (failure is OidcUnavailableException or IdentityStoreFailedException)
        {
            return failure is OidcUnavailableException
                ? ApiErrors.WriteAsync(context, StatusCodes.Status503ServiceUnavailable,
                    "Parley cannot read its identity provider's keys right now. Please retry shortly.", OpenAIErrorTypes.Server, OidcUnavailableCode)
                : AuthErrors.UnavailableAsync(context);
        }
        var (code, message) = Describe(failure);
        context.Response.Headers.WWWAuthenticate = $"Bearer error=\"invalid_token\", error_description=\"{message}\"";
        return ApiErrors.WriteAsync(context, StatusCodes.Status401Unauthorized, message, OpenAIErrorTypes.InvalidRequest, code);
    }
}

/// <summary>The token is valid but its user was disabled in Parley.</summary>
internal sealed class UserDisabledException() : Exception("The user is disabled.");

/// <summary>The identity store failed while resolving the token's user (answered 503).</summary>
internal sealed class IdentityStoreFailedException(Exception inner) : Exception("The identity store failed.", inner);
