using System.Security.Claims;
using Parley.Silo.Auth.Sessions;

namespace Parley.Silo.Auth;

/// <summary>The principal of an authenticated bearer credential (a virtual key or a JWT): it carries the
/// <see cref="Caller"/> itself, plus the claims ASP.NET Core authorization reads (the key id and, for admins, the admin
/// role of <see cref="AdminSessions.AdminRole"/>).</summary>
internal sealed class CallerIdentity : ClaimsIdentity
{
    public CallerIdentity(Caller caller, string authenticationType)
        : base(ClaimsOf(caller), authenticationType, ClaimTypes.NameIdentifier, ClaimTypes.Role)
    {
        Caller = caller;
    }

    public Caller Caller { get; }

    public static ClaimsPrincipal Principal(Caller caller, string authenticationType) => new(new CallerIdentity(caller, authenticationType));

    public static Caller? From(ClaimsPrincipal? principal) => (principal?.Identity as CallerIdentity)?.Caller;

    private static IEnumerable<Claim> ClaimsOf(Caller caller)
    {
        // Keys are named by their id; a JWT caller (no key) by its user id.
        yield return new Claim(ClaimTypes.NameIdentifier, caller.KeyId.Length > 0 ? caller.KeyId : caller.UserId);
        if (caller.IsAdmin)
        {
            yield return new Claim(ClaimTypes.Role, AdminSessions.AdminRole);
        }
    }
}
