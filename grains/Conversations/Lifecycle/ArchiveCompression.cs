using System.IO.Compression;

namespace Parley.Grains.Conversations.Lifecycle;

/// <summary>Gzip for archived states. Both archives store compressed bytes: a conversation's JSON shrinks several-fold,
/// and the embedded default keeps archives in process memory where that matters most.</summary>
public static class ArchiveCompression
{
    public static byte[] Compress(ReadOnlySpan<byte> data)
    {
        // Archiving is off the request path and the copy lives for weeks, so favour size over speed.
        using var output = new MemoryStream(data.Length / 4 + 64);
        using (var gzip = new GZipStream(output, CompressionLevel.SmallestSize, leaveOpen: true))
        {
            gzip.Write(data);
        }
        return output.ToArray();
    }

    public static byte[] Decompress(byte[] compressed)
    {
        using var input = new MemoryStream(compressed, writable: false);
        using var gzip = new GZipStream(input, CompressionMode.Decompress);
        using var output = new MemoryStream(compressed.Length * 4);
        gzip.CopyTo(output);
        return output.ToArray();
    }
}
