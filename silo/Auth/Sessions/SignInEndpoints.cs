using System.Globalization;
using System.Net;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Parley.Silo.Auth.Sessions;

/// <summary><c>GET/POST /admin/sign-in</c> and <c>GET/POST /admin/sign-out</c>: a browser trades the admin key for a
/// session cookie. The key is checked by the same <see cref="ApiKeyAuthenticator"/> as a bearer key (only SHA-256
/// digests are compared, never the secret itself), is never logged or written back into a page, and wrong keys are
/// slowed down and limited per client address.</summary>
internal static class SignInEndpoints
{
    // The form has a token, a return URL and a key: anything much larger is not this form.
    private const long MaxFormBytes = 16 * 1024;

    public const string WrongKeyMessage = "That is not the admin key.";
    public const string ExpiredFormMessage = "The form expired or was not sent from this page. Please try again.";
    public const string SignedOutNote = "You have signed out.";

    public static IEndpointRouteBuilder MapAdminSignIn(this IEndpointRouteBuilder app, string defaultReturnUrl)
    {
        app.MapGet(AdminSessions.SignInPath, (HttpContext context) => ShowSignInAsync(context, defaultReturnUrl));
        app.MapPost(AdminSessions.SignInPath, (HttpContext context) => SignInAsync(context, defaultReturnUrl));
        app.MapGet(AdminSessions.SignOutPath, ShowSignOutAsync);
        app.MapPost(AdminSessions.SignOutPath, SignOutAsync);
        return app;
    }

    private static Task ShowSignInAsync(HttpContext context, string defaultReturnUrl)
    {
        var query = context.Request.Query;
        var returnUrl = LocalReturnUrl.OrDefault(query[AdminSessions.ReturnUrlParameter], defaultReturnUrl);
        var note = query.ContainsKey("signedOut") ? SignedOutNote : null;
        return SignInPage.WriteSignInAsync(context, Tokens(context), returnUrl, StatusCodes.Status200OK, note: note);
    }

    private static async Task SignInAsync(HttpContext context, string defaultReturnUrl)
    {
        var services = context.RequestServices;
        var logger = Logger(context);
        var form = await ReadValidFormAsync(context, logger);
        if (form is null)
        {
            await SignInPage.WriteSignInAsync(context, Tokens(context), defaultReturnUrl, StatusCodes.Status400BadRequest, ExpiredFormMessage);
            return;
        }
        var returnUrl = LocalReturnUrl.OrDefault(form[AdminSessions.ReturnUrlParameter], defaultReturnUrl);

        var client = context.Connection.RemoteIpAddress ?? IPAddress.None;
        var throttle = services.GetRequiredService<SignInThrottle>();
        if (throttle.RetryAfter(client) is { } wait)
        {
            AdminSessionLog.SignInThrottled(logger, client, wait);
            var seconds = (int)Math.Ceiling(wait.TotalSeconds);
            context.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
            await SignInPage.WriteSignInAsync(context, Tokens(context), returnUrl, StatusCodes.Status429TooManyRequests,
                $"Too many wrong keys from this address. Try again in {Math.Max(1, (seconds + 59) / 60)} minute(s).");
            return;
        }

        Caller? caller = null;
        var key = form[SignInPage.KeyField].ToString().AsSpan().Trim();
        if (!key.IsEmpty)
        {
            try
            {
                caller = await services.GetRequiredService<ApiKeyAuthenticator>().AuthenticateAsync(key, context.RequestAborted);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                AdminSessionLog.StoreFailed(logger, ex);
                await SignInPage.WriteSignInAsync(context, Tokens(context), returnUrl, StatusCodes.Status503ServiceUnavailable, AuthErrors.UnavailableMessage);
                return;
            }
        }
        if (caller is not { IsAdmin: true })
        {
            // A user key is refused with the same words as a wrong one: the page does not tell which keys exist.
            var failures = throttle.RecordFailure(client);
            AdminSessionLog.SignInRefused(logger, client, failures);
            var options = services.GetRequiredService<IOptions<AdminSessionOptions>>().Value;
            await Task.Delay(options.SignInFailureDelay, services.GetRequiredService<TimeProvider>(), context.RequestAborted);
            await SignInPage.WriteSignInAsync(context, Tokens(context), returnUrl, StatusCodes.Status401Unauthorized, WrongKeyMessage);
            return;
        }

        throttle.Reset(client);
        var principal = services.GetRequiredService<AdminPrincipals>().Create(caller, AdminSessions.CookieScheme);
        // Not persistent: the cookie ends with the browser session, and its ticket after CookieLifetime without use.
        await context.SignInAsync(AdminSessions.CookieScheme, principal, new AuthenticationProperties { IsPersistent = false, AllowRefresh = true });
        AdminSessionLog.SignedIn(logger, caller.KeyId, client);
        SeeOther(context, returnUrl);
    }

    private static Task ShowSignOutAsync(HttpContext context)
        => SignInPage.WriteSignOutAsync(context, Tokens(context), StatusCodes.Status200OK);

    private static async Task SignOutAsync(HttpContext context)
    {
        var logger = Logger(context);
        if (await ReadValidFormAsync(context, logger) is null)
        {
            await SignInPage.WriteSignOutAsync(context, Tokens(context), StatusCodes.Status400BadRequest, ExpiredFormMessage);
            return;
        }
        var session = await context.AuthenticateAsync(AdminSessions.CookieScheme);
        await context.SignOutAsync(AdminSessions.CookieScheme);
        if (session.Principal is { } principal)
        {
            AdminSessionLog.SignedOut(logger, AdminPrincipals.KeyId(principal));
        }
        SeeOther(context, $"{context.Request.PathBase}{AdminSessions.SignInPath}?signedOut=1");
    }

    /// <summary>The posted form if it carries a valid antiforgery token; null otherwise (or if it is not a small form).</summary>
    private static async Task<IFormCollection?> ReadValidFormAsync(HttpContext context, ILogger logger)
    {
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
        {
            limit.MaxRequestBodySize = MaxFormBytes;
        }
        try
        {
            if (context.Request.HasFormContentType && await context.RequestServices.GetRequiredService<IAntiforgery>().IsRequestValidAsync(context))
            {
                return await context.Request.ReadFormAsync(context.RequestAborted);
            }
        }
        catch (Exception ex) when (ex is BadHttpRequestException or InvalidDataException or AntiforgeryValidationException or IOException)
        {
            // Too large or malformed: answered like a form without a token.
        }
        AdminSessionLog.AntiforgeryRejected(logger, context.Request.Path.Value ?? "");
        return null;
    }

    private static AntiforgeryTokenSet Tokens(HttpContext context)
        => context.RequestServices.GetRequiredService<IAntiforgery>().GetAndStoreTokens(context);

    private static ILogger Logger(HttpContext context)
        => context.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(SignInEndpoints).FullName!);

    // 303: the browser follows a POST's answer with a GET.
    private static void SeeOther(HttpContext context, string location)
    {
        context.Response.StatusCode = StatusCodes.Status303SeeOther;
        context.Response.Headers.Location = location;
    }
}
