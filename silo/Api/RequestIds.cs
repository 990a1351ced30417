using Microsoft.AspNetCore.Http;

namespace Parley.Silo.Api;

/// <summary>The <c>x-request-id</c> of a response: the client's own if it sent a sane one (so its logs and ours line
/// up), else a new one.</summary>
public static class RequestIds
{
    public const string HeaderName = "x-request-id";
    private const int MaxClientIdLength = 128;
    private const string Prefix = "req_";

    public static string Resolve(HttpContext context)
    {
        var id = context.Request.Headers[HeaderName].ToString();
        if (!IsAcceptable(id))
        {
            id = string.Create(Prefix.Length + 32, Guid.NewGuid(), static (span, guid) =>
            {
                Prefix.AsSpan().CopyTo(span);
                guid.TryFormat(span[Prefix.Length..], out _, "N");
            });
        }
        context.Response.Headers[HeaderName] = id;
        return id;
    }

    // Only visible ASCII, so an echoed id can never split a header or smuggle anything into a log line.
    internal static bool IsAcceptable(string id)
    {
        if (id.Length is 0 or > MaxClientIdLength)
        {
            return false;
        }
        foreach (var c in id)
        {
            if (c is < '!' or > '~')
            {
                return false;
            }
        }
        return true;
    }
}
