using System.Net.Http.Headers;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Parley.Silo.Auth.Oidc;

/// <summary>The JWT bearer handler's events: before validation, refuse an algorithm outside the allow-list (by the
/// token's header, so <c>none</c> and HS256 never reach a key) and make sure an unknown key id was looked for at the
/// issuer; after validation, map the token to its Parley user; on a challenge or a refusal, answer in OpenAI's shape.</summary>
internal sealed partial class OidcJwtEvents(OidcMetadata metadata, OidcUsers users, IOptions<OidcOptions> options, ILogger<OidcJwtEvents> logger)
    : JwtBearerEvents
{
    private readonly HashSet<string> _algorithms = new(options.Value.EffectiveAlgorithms, StringComparer.Ordinal);

    public override async Task MessageReceived(MessageReceivedContext context)
    {
        // Only reached through the bearer policy scheme, which forwards here when the header holds a JWT.
        if (!AuthenticationHeaderValue.TryParse(context.Request.Headers.Authorization, out var header) || string.IsNullOrWhiteSpace(header.Parameter))
        {
            context.NoResult();
            return;
        }
        var token = header.Parameter.Trim();
        JsonWebToken parsed;
        try
        {
            parsed = new JsonWebToken(token);
        }
        catch (Exception e) when (e is ArgumentException or SecurityTokenMalformedException)
        {
            context.Fail(new SecurityTokenMalformedException("The token is not a JWS."));
            return;
        }
        if (!_algorithms.Contains(parsed.Alg))
        {
            context.Fail(new SecurityTokenInvalidAlgorithmException("The token's algorithm is not allowed.") { InvalidAlgorithm = parsed.Alg });
            return;
        }
        if (!string.IsNullOrEmpty(parsed.Kid))
        {
            try
            {
                await metadata.EnsureKeyAsync(parsed.Kid, context.HttpContext.RequestAborted);
            }
            catch (OidcUnavailableException e)
            {
                context.Fail(e);
                return;
            }
        }
        context.Token = token;
    }

    public override async Task TokenValidated(TokenValidatedContext context)
    {
        var issuer = (context.SecurityToken as JsonWebToken)?.Issuer ?? options.Value.Authority!;
        OidcCallerResult result;
        try
        {
            result = await users.ResolveAsync(context.Principal!, issuer, context.HttpContext.RequestAborted);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            LogStoreFailed(logger, e);
            context.Fail(new IdentityStoreFailedException(e));
            return;
        }
        if (result.Caller is null)
        {
            context.Fail(result.FailureCode == JwtErrors.UserDisabledCode
                ? new UserDisabledException()
                : new SecurityTokenValidationException("The token lacks the user claim."));
            return;
        }
        context.Principal = CallerIdentity.Principal(result.Caller, context.Scheme.Name);
        context.Success();
    }

    public override async Task Challenge(JwtBearerChallengeContext context)
    {
        context.HandleResponse();
        LogRefused(logger, context.Request.Path.Value ?? "", JwtErrors.Describe(context.AuthenticateFailure).Code);
        await JwtErrors.WriteAsync(context.HttpContext, context.AuthenticateFailure);
    }

    public override Task Forbidden(ForbiddenContext context)
        => AuthErrors.ForbiddenAsync(context.HttpContext, AuthErrors.AdminOnlyMessage);

    [LoggerMessage(EventId = 2321, Level = LogLevel.Information, Message = "Rejected {Path}: JWT refused ({Code})")]
    private static partial void LogRefused(ILogger logger, string path, string code);

    [LoggerMessage(EventId = 2322, Level = LogLevel.Error, Message = "The identity store failed while resolving a JWT's user")]
    private static partial void LogStoreFailed(ILogger logger, Exception exception);
}
