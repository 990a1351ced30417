using System.Buffers;

namespace Parley.Tokenizer;

/// <summary>
/// Byte-pair merging of one pre-tokenised piece, exactly as the reference does it: start from single bytes and
/// repeatedly merge the adjacent pair whose concatenation has the lowest rank, the leftmost one on ties, until no
/// adjacent pair is a token.
/// </summary>
internal static class BytePairMerger
{
    /// <summary>Pieces up to this many bytes merge with the simple quadratic scan on the stack; longer ones use a
    /// heap so that a pathological piece (a megabyte without a space) cannot take quadratic time.</summary>
    internal const int QuadraticLimit = 128;

    /// <summary>Encodes one piece; false if the sink stopped the encoding.</summary>
    public static bool Encode<TSink>(RankTable ranks, scoped ReadOnlySpan<byte> piece, ref TSink sink)
        where TSink : ITokenSink, allows ref struct
    {
        if (piece.Length == 1)
        {
            return sink.Add(ranks.RankOfByte(piece[0]));
        }

        if (ranks.TryGetRank(piece, out var whole))
        {
            return sink.Add(whole);
        }

        return piece.Length <= QuadraticLimit
            ? MergeQuadratic(ranks, piece, ref sink)
            : MergeWithHeap(ranks, piece, ref sink);
    }

    internal static bool MergeQuadratic<TSink>(RankTable ranks, scoped ReadOnlySpan<byte> piece, ref TSink sink)
        where TSink : ITokenSink, allows ref struct
    {
        // starts[i] is where part i begins, partRanks[i] its token, pairRanks[i] the rank of part i joined with
        // part i+1. The arrays hold one sentinel part (the piece's end), as the reference's does.
        var count = piece.Length + 1;
        Span<int> starts = stackalloc int[count];
        Span<int> partRanks = stackalloc int[count];
        Span<int> pairRanks = stackalloc int[count];
        for (var i = 0; i < piece.Length; i++)
        {
            starts[i] = i;
            partRanks[i] = ranks.RankOfByte(piece[i]);
            pairRanks[i] = i + 1 < piece.Length ? ranks.RankOf(piece.Slice(i, 2)) : RankTable.NoRank;
        }

        starts[piece.Length] = piece.Length;
        pairRanks[piece.Length] = RankTable.NoRank;

        while (true)
        {
            var best = -1;
            var bestRank = RankTable.NoRank;
            for (var i = 0; i < count - 1; i++)
            {
                if (pairRanks[i] < bestRank)
                {
                    bestRank = pairRanks[i];
                    best = i;
                }
            }

            if (best < 0)
            {
                break;
            }

            // Part best+1 joins part best (whose token is now the pair's); then re-rank the pairs that now
            // start at best-1 and best.
            starts[(best + 2)..count].CopyTo(starts[(best + 1)..]);
            partRanks[(best + 2)..count].CopyTo(partRanks[(best + 1)..]);
            pairRanks[(best + 2)..count].CopyTo(pairRanks[(best + 1)..]);
            count--;
            partRanks[best] = bestRank;
            if (best > 0)
            {
                pairRanks[best - 1] = RankOfSpan(ranks, piece, starts, best - 1, count);
            }

            pairRanks[best] = RankOfSpan(ranks, piece, starts, best, count);
        }

        for (var i = 0; i < count - 1; i++)
        {
            if (!sink.Add(partRanks[i]))
            {
                return false;
            }
        }

        return true;
    }

    internal static bool MergeWithHeap<TSink>(RankTable ranks, scoped ReadOnlySpan<byte> piece, ref TSink sink)
        where TSink : ITokenSink, allows ref struct
    {
        var length = piece.Length;
        var pool = ArrayPool<int>.Shared;
        var next = pool.Rent(length);
        var previous = pool.Rent(length);
        var pairRanks = pool.Rent(length);
        try
        {
            // Parts form a linked list by start offset (a part's start never changes); the heap orders candidate
            // pairs by (rank, start), which is the reference's "lowest rank, leftmost on ties". An entry is stale
            // when its part's pair rank has changed since: a part's pair only grows, and distinct byte strings
            // have distinct ranks, so comparing the rank is enough.
            var heap = new PriorityQueue<int, long>(length);
            for (var i = 0; i < length; i++)
            {
                next[i] = i + 1;
                previous[i] = i - 1;
                pairRanks[i] = i + 1 < length ? ranks.RankOf(piece.Slice(i, 2)) : RankTable.NoRank;
                if (pairRanks[i] != RankTable.NoRank)
                {
                    heap.Enqueue(i, Key(pairRanks[i], i));
                }
            }

            while (heap.TryDequeue(out var part, out var key))
            {
                if (previous[part] == -2 || pairRanks[part] != (int)(key >> 32))
                {
                    continue;
                }

                var removed = next[part];
                next[part] = next[removed];
                if (next[part] < length)
                {
                    previous[next[part]] = part;
                }

                previous[removed] = -2;
                pairRanks[part] = PairRank(ranks, piece, next, part);
                if (pairRanks[part] != RankTable.NoRank)
                {
                    heap.Enqueue(part, Key(pairRanks[part], part));
                }

                var before = previous[part];
                if (before >= 0)
                {
                    pairRanks[before] = PairRank(ranks, piece, next, before);
                    if (pairRanks[before] != RankTable.NoRank)
                    {
                        heap.Enqueue(before, Key(pairRanks[before], before));
                    }
                }
            }

            for (var part = 0; part < length; part = next[part])
            {
                if (!sink.Add(ranks.RankOf(piece[part..next[part]])))
                {
                    return false;
                }
            }

            return true;
        }
        finally
        {
            pool.Return(next);
            pool.Return(previous);
            pool.Return(pairRanks);
        }
    }

    private static long Key(int rank, int start) => ((long)rank << 32) | (uint)start;

    private static int RankOfSpan(RankTable ranks, ReadOnlySpan<byte> piece, ReadOnlySpan<int> starts, int part, int count) =>
        part + 2 < count ? ranks.RankOf(piece[starts[part]..starts[part + 2]]) : RankTable.NoRank;

    private static int PairRank(RankTable ranks, ReadOnlySpan<byte> piece, int[] next, int part)
    {
        var second = next[part];
        if (second >= piece.Length)
        {
            return RankTable.NoRank;
        }

        return ranks.RankOf(piece[part..next[second]]);
    }
}
