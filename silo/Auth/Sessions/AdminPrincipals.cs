using System.Collections.Concurrent;
using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Parley.GrainInterfaces.Identity;
using Parley.Silo.Auth.Store;

namespace Parley.Silo.Auth.Sessions;

/// <summary>Builds the principal of an authenticated key and decides whether an admin session (a cookie, valid for
/// hours) still stands for a key that may have been revoked since. A session carries the key's id, never its secret;
/// a session of the configured admin key also carries a digest of that key, so changing Parley:Auth:AdminKey ends it.
/// Store keys are looked up again at most every <see cref="AuthOptions.CacheTtl"/> per key and silo, and at once after a
/// revoke or a disable (<see cref="ILocalIdentityCache"/>).</summary>
internal sealed class AdminPrincipals(IIdentityStore store, TimeProvider time, IOptions<AuthOptions> authOptions, ILogger<AdminPrincipals> logger)
    : ILocalIdentityCache
{
    private readonly string? _configuredKeyStamp = string.IsNullOrEmpty(authOptions.Value.AdminKey) ? null : Stamp(authOptions.Value.AdminKey);
    private readonly TimeSpan _recheckInterval = authOptions.Value.CacheTtl;
    private readonly ConcurrentDictionary<string, Check> _checks = new(StringComparer.Ordinal);
    private long _generation;

    public ClaimsPrincipal Create(Caller caller, string authenticationType)
    {
        var claims = new List<Claim>(3) { new(ClaimTypes.NameIdentifier, caller.KeyId) };
        if (caller.IsAdmin)
        {
            claims.Add(new Claim(ClaimTypes.Role, AdminSessions.AdminRole));
            if (caller.KeyId == ApiKeyAuthenticator.ConfiguredAdminKeyId && _configuredKeyStamp is not null)
            {
                claims.Add(new Claim(AdminSessions.KeyStampClaim, _configuredKeyStamp));
            }
        }
        return new ClaimsPrincipal(new ClaimsIdentity(claims, authenticationType));
    }

    public static string KeyId(ClaimsPrincipal principal) => principal.FindFirstValue(ClaimTypes.NameIdentifier) ?? "";

    /// <summary>False when the session's key was revoked, is no longer an admin key, or (for the configured key) was
    /// changed in configuration. A store that does not answer keeps the session: the dashboard is most needed while
    /// something is down, and the cookie itself is authenticated.</summary>
    public async ValueTask<bool> IsStillValidAsync(ClaimsPrincipal principal, CancellationToken cancellationToken)
    {
        var keyId = KeyId(principal);
        if (keyId.Length == 0 || !principal.IsInRole(AdminSessions.AdminRole))
        {
            return false;
        }
        if (keyId == ApiKeyAuthenticator.ConfiguredAdminKeyId)
        {
            var stamp = principal.FindFirstValue(AdminSessions.KeyStampClaim);
            return _configuredKeyStamp is not null && stamp is not null
                && CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(stamp), Encoding.ASCII.GetBytes(_configuredKeyStamp));
        }

        var now = time.GetUtcNow();
        if (_checks.TryGetValue(keyId, out var check) && now - check.At < _recheckInterval)
        {
            return check.Valid;
        }
        try
        {
            var generation = Interlocked.Read(ref _generation);
            var key = await store.GetKeyAsync(keyId, cancellationToken);
            var valid = key is { Revoked: false, IsAdmin: true };
            // Admin keys are few (sessions name only keys that signed in), so this stays small. A check that a revoke
            // overtook is not kept: it may have read the key before the revoke.
            _checks[keyId] = new Check(valid, now);
            if (Interlocked.Read(ref _generation) != generation)
            {
                _checks.TryRemove(keyId, out _);
            }
            return valid;
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            AdminSessionLog.SessionCheckFailed(logger, keyId, ex);
            return true;
        }
    }

    /// <summary>A revoked key's sessions are checked again on their next request; a disabled user's keys are not known
    /// here by user, so every admin key is checked again.</summary>
    public void Forget(IdentityInvalidation invalidation)
    {
        Interlocked.Increment(ref _generation);
        if (invalidation.Scope == IdentityScope.Key)
        {
            _checks.TryRemove(invalidation.Id, out _);
        }
        else
        {
            _checks.Clear();
        }
    }

    // A digest of the key's own SHA-256 (the form Parley keeps of any key), domain-separated so that it is useless
    // anywhere else; it lives only inside the encrypted, authenticated cookie.
    private static string Stamp(string adminKey)
    {
        var digest = SHA256.HashData(Encoding.UTF8.GetBytes("parley-admin-session:" + ApiKeySecrets.Hash(adminKey).ToHex()));
        return Convert.ToHexStringLower(digest.AsSpan(0, 16));
    }

    private sealed record Check(bool Valid, DateTimeOffset At);
}
