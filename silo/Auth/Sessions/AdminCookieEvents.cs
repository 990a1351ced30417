using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Parley.Silo.Auth.Sessions;

/// <summary>The session cookie's answers: a browser opening a page without a session is sent to the sign-in page (and
/// back afterwards); anything else (the dashboard's own XHR calls, scripts) gets a 401 in OpenAI's shape instead of an
/// HTML redirect it cannot follow. Every request re-checks that the session's key still works.</summary>
internal sealed class AdminCookieEvents(AdminPrincipals principals, ILogger<AdminCookieEvents> logger) : CookieAuthenticationEvents
{
    public override Task RedirectToLogin(RedirectContext<CookieAuthenticationOptions> context)
    {
        var http = context.HttpContext;
        var request = http.Request;
        if (!IsPageNavigation(request))
        {
            AdminSessionLog.Rejected(logger, request.Path.Value ?? "", "no session");
            return AuthErrors.MissingKeyAsync(http);
        }
        // Relative, so it stays right behind a proxy that rewrites the host.
        var returnUrl = request.PathBase + request.Path + request.QueryString;
        http.Response.Redirect($"{request.PathBase}{AdminSessions.SignInPath}?{AdminSessions.ReturnUrlParameter}={Uri.EscapeDataString(returnUrl)}");
        return Task.CompletedTask;
    }

    public override Task RedirectToAccessDenied(RedirectContext<CookieAuthenticationOptions> context)
        => AuthErrors.ForbiddenAsync(context.HttpContext, AuthErrors.AdminOnlyMessage);

    public override async Task ValidatePrincipal(CookieValidatePrincipalContext context)
    {
        if (context.Principal is { } principal && !await principals.IsStillValidAsync(principal, context.HttpContext.RequestAborted))
        {
            AdminSessionLog.SessionEnded(logger, AdminPrincipals.KeyId(principal));
            context.RejectPrincipal();
            await context.HttpContext.SignOutAsync(AdminSessions.CookieScheme);
        }
    }

    /// <summary>A browser loading a page (not a script fetching data): GET or HEAD asking for HTML.</summary>
    internal static bool IsPageNavigation(HttpRequest request)
    {
        if (!HttpMethods.IsGet(request.Method) && !HttpMethods.IsHead(request.Method))
        {
            return false;
        }
        foreach (var accept in request.Headers.Accept)
        {
            if (accept is not null && accept.Contains("text/html", StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }
        return false;
    }
}
