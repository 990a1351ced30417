using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Parley.Silo.Auth.Sessions;

public static class AdminSessionExtensions
{
    /// <summary>Admin browser sessions and the <see cref="AdminSessions.PolicyName"/> policy, with settings bound from
    /// <paramref name="section"/>. No default authentication scheme is set: the public and admin APIs keep
    /// authenticating through <see cref="ParleyAuthMiddleware"/> alone, and only endpoints that require the policy
    /// look at the session cookie.</summary>
    public static WebApplicationBuilder AddParleyAdminSessions(this WebApplicationBuilder builder, string section)
    {
        var services = builder.Services;
        services.AddOptions<AdminSessionOptions>().BindConfiguration(section).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<AdminSessionOptions>>(new AdminSessionOptionsValidator(section)));
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<AdminPrincipals>();
        services.AddSingleton<ILocalIdentityCache>(static sp => sp.GetRequiredService<AdminPrincipals>());
        services.TryAddSingleton<SignInThrottle>();
        services.TryAddSingleton<AdminCookieEvents>();
        services.AddParleyDataProtection(builder.Configuration);

        services.AddAuthentication()
            .AddPolicyScheme(AdminSessions.Scheme, displayName: null, static o => o.ForwardDefaultSelector = static context =>
                context.Request.Headers.Authorization.Count > 0 ? ParleyBearer.Scheme : AdminSessions.CookieScheme)
            .AddCookie(AdminSessions.CookieScheme, static o =>
            {
                o.Cookie.Name = AdminSessions.CookieName;
                o.Cookie.HttpOnly = true;
                o.Cookie.SameSite = SameSiteMode.Strict;
                // Secure whenever the request came over HTTPS (behind a TLS-terminating proxy, forward its headers).
                o.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
                o.Cookie.Path = "/";
                o.Cookie.IsEssential = true;
                o.SlidingExpiration = true;
                o.LoginPath = AdminSessions.SignInPath;
                o.LogoutPath = AdminSessions.SignOutPath;
                o.ReturnUrlParameter = AdminSessions.ReturnUrlParameter;
                o.EventsType = typeof(AdminCookieEvents);
            });
        services.AddOptions<CookieAuthenticationOptions>(AdminSessions.CookieScheme)
            .Configure<IOptions<AdminSessionOptions>, TimeProvider>(static (o, sessions, time) =>
            {
                o.ExpireTimeSpan = sessions.Value.CookieLifetime;
                o.TimeProvider = time;
            });
        services.AddAuthorization(static o => o.AddPolicy(AdminSessions.PolicyName, static policy => policy
            .AddAuthenticationSchemes(AdminSessions.Scheme)
            .RequireAuthenticatedUser()
            .RequireRole(AdminSessions.AdminRole)));
        services.AddAntiforgery(static o =>
        {
            o.Cookie.Name = AdminSessions.AntiforgeryCookieName;
            // The sign-in forms under /admin and the console's actions under /console.
            o.Cookie.Path = "/";
            o.Cookie.SameSite = SameSiteMode.Strict;
            o.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
            o.FormFieldName = AdminSessions.AntiforgeryFieldName;
            // Read first when present; a form without it is read for the field.
            o.HeaderName = AdminSessions.AntiforgeryHeaderName;
        });
        return builder;
    }

    /// <summary>Authentication and authorization middleware (after Parley's own, which leaves these endpoints alone) and
    /// the sign-in pages. <paramref name="defaultReturnUrl"/>: where a browser goes after signing in when it came
    /// straight to the sign-in page.</summary>
    public static WebApplication MapParleyAdminSessions(this WebApplication app, string defaultReturnUrl)
    {
        app.UseAuthentication();
        app.UseAuthorization();
        app.MapAdminSignIn(defaultReturnUrl);
        return app;
    }
}
