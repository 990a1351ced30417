using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Parley.Silo.Auth;

/// <summary>Authenticates requests to endpoints that carry <see cref="ParleyAuthMetadata"/> and sets the
/// <see cref="Caller"/> feature; other endpoints (health) pass untouched. Runs after routing, so the endpoint is known.</summary>
internal sealed partial class ParleyAuthMiddleware(RequestDelegate next, ApiKeyAuthenticator authenticator, ILogger<ParleyAuthMiddleware> logger)
{
    private const string BearerScheme = "Bearer ";

    public async Task InvokeAsync(HttpContext context)
    {
        var requirement = context.GetEndpoint()?.Metadata.GetMetadata<ParleyAuthMetadata>();
        if (requirement is null)
        {
            await next(context);
            return;
        }

        var header = context.Request.Headers.Authorization;
        var value = header.Count == 1 ? header[0] : null;
        if (value is null || !value.StartsWith(BearerScheme, StringComparison.OrdinalIgnoreCase) || value.AsSpan(BearerScheme.Length).Trim().IsEmpty)
        {
            LogMissingKey(logger, context.Request.Path);
            await AuthErrors.MissingKeyAsync(context);
            return;
        }

        Caller? caller;
        try
        {
            caller = await authenticator.AuthenticateAsync(value.AsSpan(BearerScheme.Length).Trim(), context.RequestAborted);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            LogStoreFailed(logger, ex);
            await AuthErrors.UnavailableAsync(context);
            return;
        }

        if (caller is null)
        {
            LogIncorrectKey(logger, context.Request.Path);
            await AuthErrors.IncorrectKeyAsync(context);
            return;
        }
        if (requirement.Role == ParleyRole.Admin && !caller.IsAdmin)
        {
            LogForbidden(logger, caller.KeyId, context.Request.Path);
            await AuthErrors.ForbiddenAsync(context, AuthErrors.AdminOnlyMessage);
            return;
        }
        if (requirement.Role == ParleyRole.User && caller.IsAdmin)
        {
            LogForbidden(logger, caller.KeyId, context.Request.Path);
            await AuthErrors.ForbiddenAsync(context, AuthErrors.UserOnlyMessage);
            return;
        }

        context.Features.Set(caller);
        await next(context);
    }

    [LoggerMessage(EventId = 2001, Level = LogLevel.Debug, Message = "Rejected {Path}: no API key")]
    private static partial void LogMissingKey(ILogger logger, PathString path);

    [LoggerMessage(EventId = 2002, Level = LogLevel.Information, Message = "Rejected {Path}: unknown or revoked API key")]
    private static partial void LogIncorrectKey(ILogger logger, PathString path);

    [LoggerMessage(EventId = 2003, Level = LogLevel.Information, Message = "Rejected {Path}: key {KeyId} lacks the role the endpoint requires")]
    private static partial void LogForbidden(ILogger logger, string keyId, PathString path);

    [LoggerMessage(EventId = 2004, Level = LogLevel.Error, Message = "The identity store failed while authenticating a request")]
    private static partial void LogStoreFailed(ILogger logger, Exception exception);
}
