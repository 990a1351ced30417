using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Parley.Silo.Auth.Sessions;

/// <summary><c>Authorization: Bearer &lt;key&gt;</c> for admin-only browser pages, so that scripts and API clients reach
/// them as they reach the admin API. Any valid key authenticates (a user key without the admin role, so the policy
/// answers 403, as the admin API does); the answers are the admin API's, in OpenAI's shape.</summary>
internal sealed class AdminKeyAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory loggerFactory,
    UrlEncoder encoder,
    ApiKeyAuthenticator authenticator,
    AdminPrincipals principals)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, loggerFactory, encoder)
{
    private const string BearerPrefix = "Bearer ";

    private Outcome _outcome = Outcome.Missing;

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var header = Request.Headers.Authorization;
        var value = header.Count == 1 ? header[0] : null;
        if (value is null || !value.StartsWith(BearerPrefix, StringComparison.OrdinalIgnoreCase) || value.AsSpan(BearerPrefix.Length).Trim().IsEmpty)
        {
            _outcome = Outcome.Missing;
            return AuthenticateResult.NoResult();
        }
        Caller? caller;
        try
        {
            caller = await authenticator.AuthenticateAsync(value.AsSpan(BearerPrefix.Length).Trim(), Context.RequestAborted);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            AdminSessionLog.StoreFailed(Logger, ex);
            _outcome = Outcome.StoreFailed;
            return AuthenticateResult.Fail("The identity store failed.");
        }
        if (caller is null)
        {
            _outcome = Outcome.Incorrect;
            return AuthenticateResult.Fail("Unknown or revoked key.");
        }
        _outcome = Outcome.Authenticated;
        return AuthenticateResult.Success(new AuthenticationTicket(principals.Create(caller, Scheme.Name), Scheme.Name));
    }

    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        // The result is cached per request; this makes sure the outcome is known even if nothing authenticated yet.
        await HandleAuthenticateOnceSafeAsync();
        AdminSessionLog.Rejected(Logger, Request.Path.Value ?? "", _outcome.ToString());
        await (_outcome switch
        {
            Outcome.StoreFailed => AuthErrors.UnavailableAsync(Context),
            Outcome.Incorrect => AuthErrors.IncorrectKeyAsync(Context),
            _ => AuthErrors.MissingKeyAsync(Context),
        });
    }

    protected override Task HandleForbiddenAsync(AuthenticationProperties properties)
    {
        AdminSessionLog.Rejected(Logger, Request.Path.Value ?? "", "not an admin key");
        return AuthErrors.ForbiddenAsync(Context, AuthErrors.AdminOnlyMessage);
    }

    private enum Outcome
    {
        Missing,
        Incorrect,
        StoreFailed,
        Authenticated,
    }
}
