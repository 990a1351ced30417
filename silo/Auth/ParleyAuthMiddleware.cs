using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Parley.ServiceDefaults.Logging;
using Parley.Silo.Auth.Signing;

namespace Parley.Silo.Auth;

/// <summary>Authenticates requests to endpoints that carry <see cref="ParleyAuthMetadata"/> through the
/// <see cref="ParleyBearer.Scheme"/> policy scheme (a virtual key or a JWT) and sets the <see cref="Caller"/> feature;
/// other endpoints (health) pass untouched. Runs after routing, so the endpoint is known. A refusal is answered by the
/// scheme that refused (401 in OpenAI's shape, 503 when the store or the issuer cannot be asked). A key that requires
/// signed requests is held to its signature here too (<see cref="RequestSignatureVerifier"/>).</summary>
internal sealed partial class ParleyAuthMiddleware(RequestDelegate next, RequestSignatureVerifier signatures, ILogger<ParleyAuthMiddleware> logger)
{
    public async Task InvokeAsync(HttpContext context)
    {
        var requirement = context.GetEndpoint()?.Metadata.GetMetadata<ParleyAuthMetadata>();
        if (requirement is null)
        {
            await next(context);
            return;
        }

        var result = await context.AuthenticateAsync(ParleyBearer.Scheme);
        var caller = result.Succeeded ? CallerIdentity.From(result.Principal) : null;
        if (caller is null)
        {
            await context.ChallengeAsync(ParleyBearer.Scheme);
            return;
        }
        // The audit record names an authenticated caller even when it lacks the endpoint's role.
        Audit.AuditFeature.Of(context)?.Caller = caller;
        if (requirement.Role == ParleyRole.Admin && !caller.IsAdmin)
        {
            LogForbidden(logger, Name(caller), context.Request.Path);
            await AuthErrors.ForbiddenAsync(context, AuthErrors.AdminOnlyMessage);
            return;
        }
        if (requirement.Role == ParleyRole.User)
        {
            // Admin keys have no user. A JWT admin does, and on the public API is that user, with its quotas and limits.
            if (caller.UserId.Length == 0)
            {
                LogForbidden(logger, Name(caller), context.Request.Path);
                await AuthErrors.ForbiddenAsync(context, AuthErrors.UserOnlyMessage);
                return;
            }
            if (caller.IsAdmin)
            {
                caller = caller with { IsAdmin = false };
            }
        }

        // A key that requires signed requests: nothing reaches the endpoint unless its signature verifies.
        if (caller.SigningKey is { } signingKey && !await signatures.VerifyAsync(context, caller, signingKey))
        {
            return;
        }

        context.User = result.Principal!;
        context.Features.Set(caller);
        await next(context);
    }

    private static string Name(Caller caller) => caller.KeyId.Length > 0 ? caller.KeyId : caller.UserId;

    [LoggerMessage(EventId = 2003, Level = LogLevel.Information, Message = "Rejected {Path}: {Credential} lacks the role the endpoint requires")]
    private static partial void LogForbidden(ILogger logger, [PseudonymousId] string credential, PathString path);
}
