using System.Collections.Frozen;
using Microsoft.Net.Http.Headers;

namespace Parley.ClientApi.Forwarding;

/// <summary>Headers that describe one connection rather than the message (RFC 9110 §7.6.1), plus the few that the
/// forwarder sets itself: none of them is copied in either direction.</summary>
internal static class HopByHopHeaders
{
    private static readonly FrozenSet<string> Names = FrozenSet.Create(StringComparer.OrdinalIgnoreCase,
        HeaderNames.Connection,
        HeaderNames.KeepAlive,
        HeaderNames.TransferEncoding,
        HeaderNames.TE,
        HeaderNames.Trailer,
        HeaderNames.Upgrade,
        HeaderNames.ProxyAuthenticate,
        HeaderNames.ProxyAuthorization,
        "Proxy-Connection");

    // Host names the silo, Content-Length is set from the body, Expect would only delay the already streaming body.
    private static readonly FrozenSet<string> NotForwardedRequestHeaders = FrozenSet.Create(StringComparer.OrdinalIgnoreCase,
        HeaderNames.Host,
        HeaderNames.ContentLength,
        HeaderNames.Expect);

    public static bool IsHopByHop(string name)
        => Names.Contains(name) || name.StartsWith("Proxy-", StringComparison.OrdinalIgnoreCase);

    public static bool SkipRequestHeader(string name)
        => name.Length == 0 || name[0] == ':' || IsHopByHop(name) || NotForwardedRequestHeaders.Contains(name);
}
