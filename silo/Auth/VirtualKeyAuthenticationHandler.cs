using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Parley.Silo.Auth;

/// <summary><c>Authorization: Bearer &lt;virtual key&gt;</c>, reached through the <see cref="ParleyBearer.Scheme"/>
/// policy scheme. Any valid key authenticates (its role is the endpoint's business); a challenge answers in OpenAI's
/// shape: 401 for a missing or unknown key, 503 when the store cannot be asked.</summary>
internal sealed partial class VirtualKeyAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory loggerFactory,
    UrlEncoder encoder,
    ApiKeyAuthenticator authenticator)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, loggerFactory, encoder)
{
    private Outcome _outcome = Outcome.Missing;

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var token = ParleyBearer.Token(Request);
        if (token is null)
        {
            _outcome = Outcome.Missing;
            return AuthenticateResult.NoResult();
        }
        Caller? caller;
        try
        {
            caller = await authenticator.AuthenticateAsync(token.AsSpan(), Context.RequestAborted);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            LogStoreFailed(Logger, ex);
            _outcome = Outcome.StoreFailed;
            return AuthenticateResult.Fail("The identity store failed.");
        }
        if (caller is null)
        {
            _outcome = Outcome.Incorrect;
            return AuthenticateResult.Fail("Unknown or revoked key.");
        }
        _outcome = Outcome.Authenticated;
        return AuthenticateResult.Success(new AuthenticationTicket(CallerIdentity.Principal(caller, Scheme.Name), Scheme.Name));
    }

    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        // The result is cached per request; this makes sure the outcome is known even if nothing authenticated yet.
        await HandleAuthenticateOnceSafeAsync();
        if (_outcome == Outcome.StoreFailed)
        {
            await AuthErrors.UnavailableAsync(Context);
            return;
        }
        Response.Headers.WWWAuthenticate = "Bearer";
        if (_outcome == Outcome.Incorrect)
        {
            LogIncorrectKey(Logger, Request.Path);
            await AuthErrors.IncorrectKeyAsync(Context);
        }
        else
        {
            LogMissingKey(Logger, Request.Path);
            await AuthErrors.MissingKeyAsync(Context);
        }
    }

    protected override Task HandleForbiddenAsync(AuthenticationProperties properties)
        => AuthErrors.ForbiddenAsync(Context, AuthErrors.AdminOnlyMessage);

    private enum Outcome
    {
        Missing,
        Incorrect,
        StoreFailed,
        Authenticated,
    }

    [LoggerMessage(EventId = 2001, Level = LogLevel.Debug, Message = "Rejected {Path}: no API key")]
    private static partial void LogMissingKey(ILogger logger, PathString path);

    [LoggerMessage(EventId = 2002, Level = LogLevel.Information, Message = "Rejected {Path}: unknown or revoked API key")]
    private static partial void LogIncorrectKey(ILogger logger, PathString path);

    [LoggerMessage(EventId = 2004, Level = LogLevel.Error, Message = "The identity store failed while authenticating a request")]
    private static partial void LogStoreFailed(ILogger logger, Exception exception);
}
