using System.Collections.Concurrent;
using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Parley.GrainInterfaces.Identity;
using Parley.Silo.Auth.Store;
using Parley.ServiceDefaults.Logging;

namespace Parley.Silo.Auth.Oidc;

/// <summary>Maps a validated token to its Parley user. The user's id is derived from the issuer and the user claim
/// (<c>user_</c> + 24 hex digits of their SHA-256), so the same person is the same user on every silo without a lookup
/// table; the user is created on its first token (named after <see cref="OidcOptions.NameClaim"/>), and from then on
/// has quotas, limits, policies and conversations exactly as a user with keys. A disabled user is refused. An enabled
/// user is trusted for <see cref="AuthOptions.CacheTtl"/> per silo, and forgotten at once when disabled (the same
/// cluster-wide invalidation as keys).</summary>
internal sealed partial class OidcUsers(IIdentityStore store, TimeProvider time, IOptions<OidcOptions> oidcOptions, IOptions<AuthOptions> authOptions,
    ILogger<OidcUsers> logger) : ILocalIdentityCache
{
    private const int MaxNameLength = 128;
    private readonly OidcOptions _options = oidcOptions.Value;
    private readonly long _ttlTimestampTicks = (long)(authOptions.Value.CacheTtl.TotalSeconds * time.TimestampFrequency);
    private readonly int _capacity = authOptions.Value.CacheCapacity;
    private readonly ConcurrentDictionary<string, long> _enabled = new(StringComparer.Ordinal);
    private long _generation;

    /// <summary>The caller, or null when its user is disabled or the token lacks the user claim.</summary>
    public async ValueTask<OidcCallerResult> ResolveAsync(ClaimsPrincipal principal, string issuer, CancellationToken cancellationToken)
    {
        var subject = principal.FindFirst(_options.UserClaim)?.Value;
        if (string.IsNullOrEmpty(subject))
        {
            return OidcCallerResult.MissingUserClaim;
        }
        var userId = OidcUserIds.For(issuer, subject);
        var isAdmin = !string.IsNullOrEmpty(_options.AdminClaimValue)
            && principal.FindAll(_options.AdminClaimType).Any(c => string.Equals(c.Value, _options.AdminClaimValue, StringComparison.Ordinal));
        var caller = new Caller(userId, KeyId: "", isAdmin);
        if (_enabled.TryGetValue(userId, out var expiresAt) && time.GetTimestamp() < expiresAt)
        {
            return new OidcCallerResult(caller, null);
        }

        var generation = Interlocked.Read(ref _generation);
        var user = await store.GetUserAsync(userId, cancellationToken).ConfigureAwait(false);
        if (user is null)
        {
            var name = Truncate(principal.FindFirst(_options.NameClaim)?.Value is { Length: > 0 } n ? n : subject);
            var created = new UserRecord(userId, name, time.GetUtcNow().ToUnixTimeSeconds(), Disabled: false);
            if (await store.CreateUserAsync(created, cancellationToken).ConfigureAwait(false))
            {
                LogProvisioned(logger, userId, name);
                user = created;
            }
            else
            {
                // Another silo provisioned it at the same moment (or an admin disabled it since): read what is stored.
                user = await store.GetUserAsync(userId, cancellationToken).ConfigureAwait(false);
            }
        }
        if (user is null || user.Disabled)
        {
            _enabled.TryRemove(userId, out _);
            return OidcCallerResult.Disabled;
        }
        if (_ttlTimestampTicks > 0)
        {
            if (_enabled.Count >= _capacity)
            {
                _enabled.Clear();
            }
            _enabled[userId] = time.GetTimestamp() + _ttlTimestampTicks;
            // A disable that ran while the store answered must not be undone by this late insert.
            if (Interlocked.Read(ref _generation) != generation)
            {
                _enabled.TryRemove(userId, out _);
            }
        }
        return new OidcCallerResult(caller, null);
    }

    public void Forget(IdentityInvalidation invalidation)
    {
        Interlocked.Increment(ref _generation);
        if (invalidation.Scope == IdentityScope.User)
        {
            _enabled.TryRemove(invalidation.Id, out _);
        }
    }

    private static string Truncate(string name) => name.Length <= MaxNameLength ? name : name[..MaxNameLength];

    [LoggerMessage(EventId = 2311, Level = LogLevel.Information, Message = "Provisioned user {UserId} ({Name}) on its first OIDC token")]
    private static partial void LogProvisioned(ILogger logger, [PseudonymousId] string userId, [PersonalData] string name);
}

/// <summary>How a person at an issuer is named in Parley.</summary>
public static class OidcUserIds
{
    /// <summary><c>user_</c> and 24 hex digits of SHA-256 over the issuer (without a trailing slash) and the user claim's
    /// value: stable, the same on every silo, and shaped like any other user id.</summary>
    public static string For(string issuer, string subject)
    {
        var digest = SHA256.HashData(Encoding.UTF8.GetBytes("parley-oidc-user\n" + OidcOptions.NormalizeIssuer(issuer) + "\n" + subject));
        return "user_" + Convert.ToHexStringLower(digest.AsSpan(0, 12));
    }
}

/// <summary>A resolved caller, or why there is none.</summary>
internal sealed record OidcCallerResult(Caller? Caller, string? FailureCode)
{
    public static readonly OidcCallerResult Disabled = new(null, JwtErrors.UserDisabledCode);
    public static readonly OidcCallerResult MissingUserClaim = new(null, JwtErrors.InvalidTokenCode);
}
