using System.Net;

namespace Parley.ClientApi.Tests.Infrastructure;

/// <summary>A request body of unknown length written in pieces, so HttpClient sends it chunked.</summary>
public sealed class PiecewiseContent(byte[] data, int pieceSize) : HttpContent
{
    protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context)
    {
        for (var offset = 0; offset < data.Length; offset += pieceSize)
        {
            await stream.WriteAsync(data.AsMemory(offset, Math.Min(pieceSize, data.Length - offset)));
            await stream.FlushAsync();
        }
    }

    protected override bool TryComputeLength(out long length)
    {
        length = 0;
        return false;
    }
}
