namespace Parley.Silo.Auth.Sessions;

/// <summary>Where a browser goes after signing in: only a path on this site, never another host (an open redirect
/// would let a link to the sign-in page send the admin anywhere).</summary>
internal static class LocalReturnUrl
{
    public const int MaxLength = 2048;

    /// <summary><paramref name="url"/> if it is a local path ("/…" but not "//…" or "/\…", no control characters),
    /// else <paramref name="fallback"/>.</summary>
    public static string OrDefault(string? url, string fallback) => IsLocal(url) ? url! : fallback;

    public static bool IsLocal(string? url)
    {
        if (string.IsNullOrEmpty(url) || url.Length > MaxLength || url[0] != '/')
        {
            return false;
        }
        if (url.Length > 1 && url[1] is '/' or '\\')
        {
            return false;
        }
        foreach (var c in url)
        {
            // Browsers drop tabs and newlines in URLs ("/\t/evil" becomes "//evil"): refuse every control character.
            if (char.IsControl(c))
            {
                return false;
            }
        }
        return true;
    }
}
