using System.Buffers.Text;
using System.IO.Compression;

namespace Parley.Tokenizer;

/// <summary>Reads a tiktoken rank file ("&lt;base64 token&gt; &lt;rank&gt;" per line) from the assembly's
/// gzip-compressed resources.</summary>
internal static class RankFileLoader
{
    private const string ResourcePrefix = "Parley.Tokenizer.Data.";
    private const string ResourceSuffix = ".tiktoken.gz";

    /// <summary>The decompressed rank file, byte for byte as published.</summary>
    public static byte[] ReadRankFile(string encodingName)
    {
        var resourceName = ResourcePrefix + encodingName + ResourceSuffix;
        using var compressed = typeof(RankFileLoader).Assembly.GetManifestResourceStream(resourceName)
            ?? throw new InvalidOperationException($"The tokenizer resource '{resourceName}' is missing from the assembly.");

        // Embedded resources are in memory already; reading them synchronously does no I/O.
        using var gzip = new GZipStream(compressed, CompressionMode.Decompress);
        using var buffer = new MemoryStream(capacity: 4 * 1024 * 1024);
        gzip.CopyTo(buffer);
        return buffer.ToArray();
    }

    public static RankTable Load(string encodingName) => Parse(ReadRankFile(encodingName));

    public static RankTable Parse(ReadOnlySpan<byte> file)
    {
        // Decoded tokens are shorter than their base64 text, so the file's size bounds the blob.
        var blob = new byte[file.Length];
        var blobLength = 0;
        var entries = new List<(int Rank, int Offset, int Length)>(capacity: 256 * 1024);
        var maxRank = -1;
        var lineNumber = 0;

        while (!file.IsEmpty)
        {
            lineNumber++;
            var newline = file.IndexOf((byte)'\n');
            var line = newline < 0 ? file : file[..newline];
            file = newline < 0 ? default : file[(newline + 1)..];
            if (!line.IsEmpty && line[^1] == '\r')
            {
                line = line[..^1];
            }

            if (line.IsEmpty)
            {
                continue;
            }

            var space = line.IndexOf((byte)' ');
            if (space <= 0
                || Base64.DecodeFromUtf8(line[..space], blob.AsSpan(blobLength), out _, out var written) != System.Buffers.OperationStatus.Done
                || !Utf8Parser.TryParse(line[(space + 1)..], out int rank, out var consumed)
                || consumed != line.Length - space - 1
                || rank < 0)
            {
                throw new InvalidDataException($"Malformed rank file line {lineNumber}.");
            }

            entries.Add((rank, blobLength, written));
            blobLength += written;
            maxRank = Math.Max(maxRank, rank);
        }

        var offsets = new int[maxRank + 1];
        var lengths = new int[maxRank + 1];
        Array.Fill(lengths, -1);
        foreach (var (rank, offset, length) in entries)
        {
            if (lengths[rank] >= 0)
            {
                throw new InvalidDataException($"The rank file gives rank {rank} twice.");
            }

            offsets[rank] = offset;
            lengths[rank] = length;
        }

        Array.Resize(ref blob, blobLength);
        return new RankTable(blob, offsets, lengths);
    }
}
