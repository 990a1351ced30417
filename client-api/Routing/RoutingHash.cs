using System.Buffers;
using System.Text;

namespace Parley.ClientApi.Routing;

/// <summary>Hashes routing keys and silo addresses as UTF-8, so the value depends on the text only (not on the
/// process, the platform's endianness or the string's representation).</summary>
public static class RoutingHash
{
    private const int StackLimit = 512;

    public static ulong Of(ReadOnlySpan<char> text)
    {
        var max = Encoding.UTF8.GetMaxByteCount(text.Length);
        if (max <= StackLimit)
        {
            Span<byte> buffer = stackalloc byte[StackLimit];
            var written = Encoding.UTF8.GetBytes(text, buffer);
            return XxHash64.Hash(buffer[..written]);
        }
        var rented = ArrayPool<byte>.Shared.Rent(max);
        try
        {
            var written = Encoding.UTF8.GetBytes(text, rented);
            return XxHash64.Hash(rented.AsSpan(0, written));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    /// <summary>The rendezvous weight of one (key, silo) pair. Mixing both hashes through a multiply and the avalanche
    /// makes the per-silo weights of one key independent, so each silo wins an equal share of keys.</summary>
    public static ulong Weight(ulong keyHash, ulong siloHash)
        => XxHash64.Avalanche(unchecked((keyHash ^ siloHash) * 0x9E3779B185EBCA87UL + siloHash));
}
