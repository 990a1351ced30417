using Microsoft.AspNetCore.Http;

namespace Parley.Silo.Auth;

/// <summary>The authenticated caller of a request, set by the authentication middleware as a request feature.</summary>
/// <param name="UserId">The user the virtual key belongs to (admin keys have no user: empty).</param>
/// <param name="KeyId">The id (not the secret) of the key used.</param>
/// <param name="SigningKey">For a key that requires signed requests, the HMAC key its requests are verified with.</param>
public sealed record Caller(string UserId, string KeyId, bool IsAdmin, byte[]? SigningKey = null);

public static class CallerExtensions
{
    public static Caller GetCaller(this HttpContext context)
        => context.Features.Get<Caller>() ?? throw new InvalidOperationException("The endpoint is not behind Parley authentication.");
}
