using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace Parley.Silo.Chat;

/// <summary>Reads a request body that must be parsed as a whole into a pooled buffer, refusing it as soon as it
/// passes the limit, whether or not the client announced a Content-Length.</summary>
internal static class RequestBodyReader
{
    private const int UnknownLengthInitialCapacity = 16 * 1024;

    /// <summary>The body, or null when it is larger than <paramref name="maxBytes"/>.</summary>
    public static async ValueTask<PooledBufferWriter?> ReadAsync(HttpRequest request, long maxBytes, CancellationToken cancellationToken)
    {
        var declared = request.ContentLength;
        if (declared > maxBytes)
        {
            return null;
        }
        // Parley enforces its own limit (which may be above Kestrel's default), and answers in OpenAI's shape.
        if (request.HttpContext.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } sizeFeature)
        {
            sizeFeature.MaxRequestBodySize = null;
        }
        var buffer = new PooledBufferWriter(declared is { } length ? (int)length : UnknownLengthInitialCapacity);
        try
        {
            while (declared is null || buffer.WrittenCount < declared)
            {
                var read = await request.Body.ReadAsync(buffer.GetMemory(), cancellationToken).ConfigureAwait(false);
                if (read == 0)
                {
                    break;
                }
                buffer.Advance(read);
                if (buffer.WrittenCount > maxBytes)
                {
                    buffer.Dispose();
                    return null;
                }
            }
            return buffer;
        }
        catch
        {
            buffer.Dispose();
            throw;
        }
    }
}
