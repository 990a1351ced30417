using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.CompilerServices;

namespace Parley.Tokenizer;

/// <summary>
/// The encoder (token bytes → rank) and decoder (rank → token bytes) of one encoding. All token bytes live in one
/// blob; the encoder is an open-addressing table of ranks keyed by a span of that blob, so a lookup by
/// <see cref="ReadOnlySpan{T}"/> allocates nothing. A slot holds the token's first eight bytes, its length and
/// its rank, so a lookup of a token of up to eight bytes (most of them) touches one cache line.
/// </summary>
internal sealed class RankTable
{
    public const int NoRank = int.MaxValue;

    private const int EmptySlot = -1;
    private const int InlineBytes = sizeof(ulong);

    private readonly byte[] _blob;
    private readonly int[] _offsets;
    private readonly int[] _lengths;
    private readonly Slot[] _slots;
    private readonly int _mask;
    private readonly int[] _singleByteRanks;

    /// <param name="blob">Token bytes, concatenated.</param>
    /// <param name="offsets">Offset in <paramref name="blob"/> of the token of each rank (index = rank).</param>
    /// <param name="lengths">Length of the token of each rank; -1 where no token has that rank.</param>
    public RankTable(byte[] blob, int[] offsets, int[] lengths)
    {
        _blob = blob;
        _offsets = offsets;
        _lengths = lengths;

        var count = 0;
        foreach (var length in lengths)
        {
            count += length >= 0 ? 1 : 0;
        }

        Count = count;

        // Load factor at most 1/2 keeps probe sequences short, misses included (BPE looks up many non-tokens).
        var capacity = (int)BitOperations.RoundUpToPowerOf2((uint)Math.Max(16, count * 2));
        _mask = capacity - 1;
        _slots = new Slot[capacity];
        for (var i = 0; i < _slots.Length; i++)
        {
            _slots[i].Rank = EmptySlot;
        }

        _singleByteRanks = new int[256];
        Array.Fill(_singleByteRanks, NoRank);

        for (var rank = 0; rank < lengths.Length; rank++)
        {
            if (lengths[rank] < 0)
            {
                continue;
            }

            var token = blob.AsSpan(offsets[rank], lengths[rank]);
            if (TryGetRank(token, out _))
            {
                throw new InvalidDataException($"The rank file lists the same token twice (rank {rank}).");
            }

            Insert(token, rank);
            if (token.Length == 1)
            {
                _singleByteRanks[token[0]] = rank;
            }
        }
    }

    /// <summary>Number of ordinary tokens.</summary>
    public int Count { get; }

    /// <summary>One more than the highest ordinary rank.</summary>
    public int RankLimit => _lengths.Length;

    /// <summary>Rank of a single byte; the byte-level encodings have one for every byte.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int RankOfByte(byte value) => _singleByteRanks[value];

    /// <summary>Rank of <paramref name="token"/>, or <see cref="NoRank"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int RankOf(ReadOnlySpan<byte> token) => TryGetRank(token, out var rank) ? rank : NoRank;

    public bool TryGetRank(ReadOnlySpan<byte> token, out int rank)
    {
        var prefix = Prefix(token);
        var index = (int)Hash(prefix, token) & _mask;
        var slots = _slots;
        while (true)
        {
            ref var slot = ref slots[index];
            if (slot.Rank == EmptySlot)
            {
                rank = NoRank;
                return false;
            }

            if (slot.Prefix == prefix && slot.Length == token.Length
                && (token.Length <= InlineBytes
                    || _blob.AsSpan(_offsets[slot.Rank] + InlineBytes, token.Length - InlineBytes).SequenceEqual(token[InlineBytes..])))
            {
                rank = slot.Rank;
                return true;
            }

            index = (index + 1) & _mask;
        }
    }

    /// <summary>Bytes of the ordinary token <paramref name="rank"/>; false if there is none.</summary>
    public bool TryGetBytes(int rank, out ReadOnlySpan<byte> bytes)
    {
        if ((uint)rank >= (uint)_lengths.Length || _lengths[rank] < 0)
        {
            bytes = default;
            return false;
        }

        bytes = _blob.AsSpan(_offsets[rank], _lengths[rank]);
        return true;
    }

    private void Insert(ReadOnlySpan<byte> token, int rank)
    {
        var prefix = Prefix(token);
        var index = (int)Hash(prefix, token) & _mask;
        while (_slots[index].Rank != EmptySlot)
        {
            index = (index + 1) & _mask;
        }

        _slots[index] = new Slot { Prefix = prefix, Rank = rank, Length = token.Length };
    }

    /// <summary>The first (up to) eight bytes, little-endian, zero-padded; overlapping reads avoid a byte loop.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong Prefix(ReadOnlySpan<byte> bytes)
    {
        var length = bytes.Length;
        if (length >= 8)
        {
            return BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        }

        if (length >= 4)
        {
            return BinaryPrimitives.ReadUInt32LittleEndian(bytes)
                | ((ulong)BinaryPrimitives.ReadUInt32LittleEndian(bytes[(length - 4)..]) << ((length - 4) * 8));
        }

        if (length >= 2)
        {
            return BinaryPrimitives.ReadUInt16LittleEndian(bytes)
                | ((ulong)BinaryPrimitives.ReadUInt16LittleEndian(bytes[(length - 2)..]) << ((length - 2) * 8));
        }

        return length == 1 ? bytes[0] : 0UL;
    }

    // A multiply-xorshift over 8-byte words: fast, and spreads a fixed, trusted key set well enough.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static uint Hash(ulong prefix, ReadOnlySpan<byte> bytes)
    {
        const ulong Multiplier = 0x9E3779B97F4A7C15UL;
        var hash = (prefix ^ ((ulong)bytes.Length << 59)) * Multiplier;
        if (bytes.Length > InlineBytes)
        {
            var rest = bytes[InlineBytes..];
            while (rest.Length >= 8)
            {
                hash ^= hash >> 29;
                hash = (hash ^ BinaryPrimitives.ReadUInt64LittleEndian(rest)) * Multiplier;
                rest = rest[8..];
            }

            hash ^= hash >> 29;
            hash = (hash ^ Prefix(rest)) * Multiplier;
        }

        hash ^= hash >> 32;
        hash *= 0xFF51AFD7ED558CCDUL;
        return (uint)(hash >> 32);
    }

    private struct Slot
    {
        public ulong Prefix;
        public int Rank;
        public int Length;
    }
}
