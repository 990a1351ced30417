using System.IO.Pipelines;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace Parley.Sim.Api;

/// <summary>Buffers a whole request body in the request pipe, for a parser to read in place (no copy unless it
/// spans segments).</summary>
internal static class RequestBody
{
    /// <summary>The whole body, still unconsumed: the caller parses <c>Buffer</c> and then advances the reader to its
    /// end. Null when the body is larger than <paramref name="maxBytes"/> (what was read of it is consumed).</summary>
    public static async ValueTask<ReadResult?> ReadWholeAsync(HttpContext context, int maxBytes)
    {
        if (context.Request.ContentLength > maxBytes)
        {
            return null;
        }
        // The simulator's own limit applies, not Kestrel's default.
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } sizeFeature)
        {
            sizeFeature.MaxRequestBodySize = null;
        }
        var reader = context.Request.BodyReader;
        while (true)
        {
            var result = await reader.ReadAsync(context.RequestAborted);
            if (result.Buffer.Length > maxBytes)
            {
                reader.AdvanceTo(result.Buffer.End);
                return null;
            }
            if (result.IsCompleted || result.IsCanceled)
            {
                return result;
            }
            reader.AdvanceTo(result.Buffer.Start, result.Buffer.End);
        }
    }
}
