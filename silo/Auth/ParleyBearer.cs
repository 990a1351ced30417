using Microsoft.AspNetCore.Http;

namespace Parley.Silo.Auth;

/// <summary>The bearer credential schemes. <see cref="Scheme"/> is a policy scheme: it forwards a request whose bearer
/// token is shaped like a JWT to <see cref="JwtScheme"/> (when an OIDC issuer is configured) and every other one to
/// <see cref="KeyScheme"/> (virtual keys). The public and admin APIs (through <see cref="ParleyAuthMiddleware"/>) and the
/// admin browser pages (for requests with an Authorization header) all authenticate through it.</summary>
public static class ParleyBearer
{
    public const string Scheme = "ParleyBearer";

    public const string KeyScheme = "ParleyKey";

    public const string JwtScheme = "ParleyJwt";

    private const string Prefix = "Bearer ";

    /// <summary>The bearer token of the request (trimmed), or null when there is no single <c>Authorization: Bearer</c> header with one.</summary>
    public static string? Token(HttpRequest request)
    {
        var header = request.Headers.Authorization;
        var value = header.Count == 1 ? header[0] : null;
        if (value is null || !value.StartsWith(Prefix, StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }
        var token = value.AsSpan(Prefix.Length).Trim();
        return token.IsEmpty ? null : token.Length == value.Length - Prefix.Length ? value[Prefix.Length..] : token.ToString();
    }

    /// <summary>A compact JWS: three dot-separated parts, the first a base64url JSON object (so it starts with
    /// <c>eyJ</c>, the encoding of <c>{"</c>). Virtual keys (<c>sk-parley-…</c>) never look like this.</summary>
    public static bool LooksLikeJwt(ReadOnlySpan<char> token)
        => token.StartsWith("eyJ", StringComparison.Ordinal) && token.Count('.') == 2;
}
