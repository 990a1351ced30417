using System.Buffers;
using System.IO.Hashing;
using System.Text;

namespace Parley.ClientApi.Routing;

/// <summary>Hashes routing keys and silo addresses with XXH64 over their UTF-8 bytes, so a value depends on the text
/// only (not on the process, the platform or the string's representation): every front end replica ranks the silos
/// of a key alike.</summary>
public static class RoutingHash
{
    private const int StackLimit = 256;

    public static ulong Of(ReadOnlySpan<char> text)
    {
        var max = Encoding.UTF8.GetMaxByteCount(text.Length);
        if (max <= StackLimit)
        {
            Span<byte> buffer = stackalloc byte[StackLimit];
            var written = Encoding.UTF8.GetBytes(text, buffer);
            return XxHash64.HashToUInt64(buffer[..written]);
        }
        var rented = ArrayPool<byte>.Shared.Rent(max);
        try
        {
            var written = Encoding.UTF8.GetBytes(text, rented);
            return XxHash64.HashToUInt64(rented.AsSpan(0, written));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    public static ulong OfUtf8(ReadOnlySpan<byte> utf8) => XxHash64.HashToUInt64(utf8);

    /// <summary>The rendezvous weight of one (key, silo) pair: XXH64 of the silo's address seeded with the key's hash.
    /// Each seed gives an independent permutation of the silos, so each silo wins an equal share of keys, and a key's
    /// weight on one silo does not depend on which other silos exist.</summary>
    public static ulong Weight(ulong keyHash, ReadOnlySpan<char> siloAddress)
    {
        var seed = unchecked((long)keyHash);
        var max = Encoding.UTF8.GetMaxByteCount(siloAddress.Length);
        if (max <= StackLimit)
        {
            Span<byte> buffer = stackalloc byte[StackLimit];
            var written = Encoding.UTF8.GetBytes(siloAddress, buffer);
            return XxHash64.HashToUInt64(buffer[..written], seed);
        }
        var rented = ArrayPool<byte>.Shared.Rent(max);
        try
        {
            var written = Encoding.UTF8.GetBytes(siloAddress, rented);
            return XxHash64.HashToUInt64(rented.AsSpan(0, written), seed);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }
}
