using System.Text;

namespace Parley.Tokenizer.Tests.Bpe;

public sealed class BytePairMergerTests
{
    [Theory]
    [InlineData(TiktokenEncoding.Cl100kBaseName)]
    [InlineData(TiktokenEncoding.O200kBaseName)]
    public void Heap_merge_equals_the_reference_quadratic_merge(string name)
    {
        // Both merge paths on the same pieces: random words and byte soup (which the vocabulary covers poorly),
        // repeated runs that tie on rank, and every vector's whole text as a single piece.
        var ranks = RankFileLoader.Load(name);
        var random = new Random(7);
        var pieces = new List<byte[]>();
        const string Letters = "aaaabcdeeefghiiijklmnooopqrstuuuvwxyz  ,.'é中😀";
        for (var i = 0; i < 1500; i++)
        {
            var length = random.Next(2, 60);
            var text = new string(Enumerable.Range(0, length).Select(_ => Letters[random.Next(Letters.Length)]).ToArray());
            pieces.Add(Encoding.UTF8.GetBytes(text));
            var soup = new byte[random.Next(2, 100)];
            random.NextBytes(soup);
            pieces.Add(soup);
        }

        pieces.Add(Encoding.UTF8.GetBytes(new string('a', 127)));
        pieces.Add(Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat("ab", 60))));
        pieces.AddRange(ReferenceData.Vectors.Where(vector => vector.Text.Length > 1).Select(vector => Encoding.UTF8.GetBytes(vector.Text)));

        foreach (var piece in pieces)
        {
            var quadratic = new List<int>();
            var heap = new List<int>();
            var quadraticSink = new CollectionSink(quadratic);
            var heapSink = new CollectionSink(heap);
            BytePairMerger.MergeQuadratic(ranks, piece, ref quadraticSink);
            BytePairMerger.MergeWithHeap(ranks, piece, ref heapSink);
            Assert.True(quadratic.SequenceEqual(heap), $"{name}: piece {Convert.ToHexString(piece)}");
            Assert.Equal(piece, Concat(ranks, heap));
        }
    }

    private static byte[] Concat(RankTable ranks, List<int> tokens)
    {
        var bytes = new List<byte>();
        foreach (var token in tokens)
        {
            Assert.True(ranks.TryGetBytes(token, out var part));
            bytes.AddRange(part.ToArray());
        }

        return bytes.ToArray();
    }
}
