namespace Parley.Tokenizer.Tests.Encodings;

public sealed class ReferenceVectorTests
{
    public static TheoryData<string> Encodings => new(TiktokenEncoding.Cl100kBaseName, TiktokenEncoding.O200kBaseName);

    [Fact]
    public void The_reference_file_has_vectors()
    {
        Assert.True(ReferenceData.Vectors.Count >= 30, $"only {ReferenceData.Vectors.Count} vectors");
    }

    [Theory]
    [MemberData(nameof(Encodings))]
    public void Every_vector_encodes_token_for_token(string name)
    {
        var encoding = TiktokenEncoding.Get(name);
        foreach (var vector in ReferenceData.Vectors)
        {
            var expected = vector.For(name);
            var actual = encoding.Encode(vector.Text);
            if (!expected.SequenceEqual(actual))
            {
                var at = FirstDifference(expected, actual);
                Assert.Fail($"{name}: vector {vector.Index} ({Escape(vector.Text)}) differs at token {at}: " +
                    $"expected [{string.Join(',', expected)}], got [{string.Join(',', actual)}]");
            }
        }
    }

    [Theory]
    [MemberData(nameof(Encodings))]
    public void Every_vector_decodes_back_to_its_text(string name)
    {
        var encoding = TiktokenEncoding.Get(name);
        foreach (var vector in ReferenceData.Vectors)
        {
            Assert.True(vector.Text == encoding.Decode(vector.For(name)), $"{name}: vector {vector.Index} reference ids");
            Assert.True(vector.Text == encoding.Decode(encoding.Encode(vector.Text).ToArray()), $"{name}: vector {vector.Index}");
        }
    }

    [Theory]
    [MemberData(nameof(Encodings))]
    public void Counts_equal_the_encoded_length(string name)
    {
        var encoding = TiktokenEncoding.Get(name);
        foreach (var vector in ReferenceData.Vectors)
        {
            Assert.Equal(vector.For(name).Length, encoding.CountTokens(vector.Text));
            Assert.Equal(encoding.Encode(vector.Text, allowSpecialTokens: true).Count,
                encoding.CountTokens(vector.Text, allowSpecialTokens: true));
        }
    }

    [Theory]
    [MemberData(nameof(Encodings))]
    public void All_vectors_encoded_as_one_span_into_one_list_match_the_concatenation(string name)
    {
        // Also exercises the ICollection and Span overloads on the same inputs.
        var encoding = TiktokenEncoding.Get(name);
        var list = new List<int>();
        foreach (var vector in ReferenceData.Vectors)
        {
            var appended = encoding.Encode(vector.Text.AsSpan(), list);
            Assert.Equal(vector.For(name).Length, appended);

            var buffer = new int[vector.For(name).Length];
            Assert.True(encoding.TryEncode(vector.Text, buffer, out var written));
            Assert.Equal(vector.For(name), buffer[..written]);
        }

        Assert.Equal(ReferenceData.Vectors.SelectMany(vector => vector.For(name)), list);
    }

    private static int FirstDifference(int[] expected, IReadOnlyList<int> actual)
    {
        var i = 0;
        while (i < expected.Length && i < actual.Count && expected[i] == actual[i])
        {
            i++;
        }

        return i;
    }

    private static string Escape(string text) =>
        text.Replace("\r", "\\r", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal)
            .Replace("\t", "\\t", StringComparison.Ordinal);
}
