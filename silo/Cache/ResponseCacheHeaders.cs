using Microsoft.AspNetCore.Http;

namespace Parley.Silo.Cache;

/// <summary><c>x-parley-cache: hit|miss</c>, on every chat completion response.</summary>
internal static class ResponseCacheHeaders
{
    public const string Name = "x-parley-cache";
    public const string Hit = "hit";
    public const string Miss = "miss";

    public static void Set(HttpResponse response, bool hit) => response.Headers[Name] = hit ? Hit : Miss;
}
