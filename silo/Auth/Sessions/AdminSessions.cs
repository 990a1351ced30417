namespace Parley.Silo.Auth.Sessions;

/// <summary>Names of the admin browser sessions: ASP.NET Core authentication schemes, the authorization policy that
/// admin-only browser pages require, the cookie and the sign-in routes.</summary>
public static class AdminSessions
{
    /// <summary>The policy: an admin, by session cookie or by <c>Authorization: Bearer &lt;admin key&gt;</c>.</summary>
    public const string PolicyName = "ParleyAdmin";

    /// <summary>Forwards to <see cref="ParleyBearer.Scheme"/> (a virtual key or a JWT) when the request has an Authorization
    /// header, else to <see cref="CookieScheme"/>.</summary>
    public const string Scheme = "ParleyAdmin";

    public const string CookieScheme = "ParleyAdminCookie";

    public const string CookieName = "parley_admin";

    public const string AntiforgeryCookieName = "parley_antiforgery";

    public const string AntiforgeryFieldName = "__RequestVerificationToken";

    /// <summary>The header that carries the antiforgery token of a script's change (the console's actions); forms post
    /// it as <see cref="AntiforgeryFieldName"/>.</summary>
    public const string AntiforgeryHeaderName = "X-Parley-Antiforgery";

    /// <summary>The role claim of an admin (a user key authenticates without it, and is refused).</summary>
    public const string AdminRole = "parley-admin";

    /// <summary>A digest of the admin key a session was opened with: the session ends when that key no longer works.</summary>
    public const string KeyStampClaim = "parley:key_stamp";

    public const string SignInPath = "/admin/sign-in";

    public const string SignOutPath = "/admin/sign-out";

    public const string ReturnUrlParameter = "returnUrl";
}
