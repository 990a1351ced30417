using System.Collections.Frozen;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Http;
using Microsoft.Net.Http.Headers;

namespace Parley.Silo.OperatorConsole;

/// <summary>The console's page, script and style sheet, embedded in the silo assembly (no CDN, no build step): read
/// once, served from memory with an ETag.</summary>
internal static class ConsoleAssets
{
    public const string Page = "index.html";
    public const string Script = "console.js";
    public const string StyleSheet = "console.css";
    private const string ResourcePrefix = "parley-console/";

    private static readonly FrozenDictionary<string, Asset> Assets = Load();

    public static IReadOnlyCollection<string> Names => Assets.Keys;

    public static IResult Serve(string name, HttpContext context)
    {
        var asset = Assets[name];
        var headers = context.Response.Headers;
        headers.ETag = asset.ETag;
        if (context.Request.Headers.IfNoneMatch == asset.ETag)
        {
            return Results.StatusCode(StatusCodes.Status304NotModified);
        }
        return Results.Bytes(asset.Content, asset.ContentType);
    }

    private static FrozenDictionary<string, Asset> Load()
    {
        var assembly = typeof(ConsoleAssets).Assembly;
        var assets = new Dictionary<string, Asset>(StringComparer.Ordinal);
        foreach (var (name, type) in new[] { (Page, "text/html; charset=utf-8"), (Script, "text/javascript; charset=utf-8"), (StyleSheet, "text/css; charset=utf-8") })
        {
            using var stream = assembly.GetManifestResourceStream(ResourcePrefix + name)
                ?? throw new InvalidOperationException($"The console's {name} is not embedded in {assembly.GetName().Name}.");
            using var copy = new MemoryStream();
            stream.CopyTo(copy);
            var content = copy.ToArray();
            var etag = "\"" + Convert.ToHexStringLower(SHA256.HashData(content).AsSpan(0, 8)) + "\"";
            assets[name] = new Asset(content, type, etag);
        }
        return assets.ToFrozenDictionary(StringComparer.Ordinal);
    }

    private sealed record Asset(byte[] Content, string ContentType, string ETag);
}

/// <summary>Headers on every console answer: a Content-Security-Policy that allows only this silo's own script, style
/// and fetches (no inline script or style, nothing from elsewhere), no framing, no caching of figures, no referrer.</summary>
internal static class ConsoleHeaders
{
    public const string ContentSecurityPolicy =
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; " +
        "frame-ancestors 'none'; base-uri 'none'";

    public static void Apply(HttpResponse response)
    {
        var headers = response.Headers;
        headers.ContentSecurityPolicy = ContentSecurityPolicy;
        headers.XContentTypeOptions = "nosniff";
        headers.XFrameOptions = "DENY";
        headers[HeaderNames.CacheControl] = "no-store";
        headers["Referrer-Policy"] = "no-referrer";
        headers["Cross-Origin-Opener-Policy"] = "same-origin";
        headers["Cross-Origin-Resource-Policy"] = "same-origin";
    }
}
