using System.Security.Cryptography;

namespace Parley.Tokenizer.Tests.Encodings;

public sealed class EncodingBehaviourTests
{
    [Theory]
    [InlineData(TiktokenEncoding.Cl100kBaseName, "223921b76ee99bde995b7ff738513eef100fb51d18c93597a113bcffe865b2a7")]
    [InlineData(TiktokenEncoding.O200kBaseName, "446a9538cb6c348e3516120d7c08b09f57c36495e2acfffe59a5bf8b0cfb1a2d")]
    public void Embedded_rank_files_are_the_published_ones(string name, string sha256)
    {
        var bytes = RankFileLoader.ReadRankFile(name);
        Assert.Equal(sha256, Convert.ToHexStringLower(SHA256.HashData(bytes)));
    }

    [Theory]
    [InlineData(TiktokenEncoding.Cl100kBaseName)]
    [InlineData(TiktokenEncoding.O200kBaseName)]
    public void Pattern_and_special_tokens_match_the_published_definition(string name)
    {
        var (pattern, specials) = ReferenceData.Meta(name);
        var encoding = TiktokenEncoding.Get(name);
        Assert.Equal(pattern, encoding.Pattern);
        Assert.Equal(specials.OrderBy(pair => pair.Key), encoding.SpecialTokens.OrderBy(pair => pair.Key));
    }

    [Fact]
    public void Get_returns_one_instance_per_encoding_across_threads()
    {
        var instances = new TiktokenEncoding[16];
        Parallel.For(0, instances.Length, i => instances[i] = TiktokenEncoding.Get(TiktokenEncoding.O200kBaseName));
        Assert.All(instances, instance => Assert.Same(TiktokenEncoding.O200kBase, instance));
        Assert.Same(TiktokenEncoding.Cl100kBase, TiktokenEncoding.Get("CL100K_BASE"));
        Assert.NotSame(TiktokenEncoding.Cl100kBase, TiktokenEncoding.O200kBase);
    }

    [Fact]
    public void Unknown_encoding_is_refused()
    {
        Assert.Throws<ArgumentException>(() => TiktokenEncoding.Get("p50k_base"));
        Assert.False(TiktokenEncoding.TryGet("r50k_base", out var encoding));
        Assert.Null(encoding);
    }

    [Theory]
    [InlineData(TiktokenEncoding.Cl100kBaseName, 100257, 100277)]
    [InlineData(TiktokenEncoding.O200kBaseName, 199999, 200019)]
    public void Special_tokens_are_text_unless_allowed(string name, int endOfText, int vocabulary)
    {
        var encoding = TiktokenEncoding.Get(name);
        const string Rest = " is a special token<|notspecial|>";
        const string Text = "<|endoftext|>" + Rest;

        Assert.DoesNotContain(endOfText, encoding.Encode(Text));
        var allowed = encoding.Encode(Text, allowSpecialTokens: true);
        Assert.Equal(new[] { endOfText }.Concat(encoding.Encode(Rest)), allowed);
        Assert.Equal(Text, encoding.Decode(allowed.ToArray()));
        Assert.True(encoding.IsSpecialToken(endOfText));
        Assert.Equal(vocabulary, encoding.NumberOfTokens);

        // The stretch before a special token is encoded on its own: its trailing space is not merged forward.
        var before = encoding.Encode("hello <|endoftext|>", allowSpecialTokens: true);
        Assert.Equal(encoding.Encode("hello ").Append(endOfText), before);
    }

    [Fact]
    public void Lone_surrogates_encode_as_the_replacement_character()
    {
        var encoding = TiktokenEncoding.O200kBase;
        Assert.Equal(encoding.Encode("a\uFFFDb c\uFFFD"), encoding.Encode("a\uD800b c\uDC00"));
    }

    [Fact]
    public void TryEncode_reports_a_destination_that_is_too_small()
    {
        var encoding = TiktokenEncoding.Cl100kBase;
        var full = encoding.Encode("The quick brown fox jumps over the lazy dog.");
        var buffer = new int[4];
        Assert.False(encoding.TryEncode("The quick brown fox jumps over the lazy dog.", buffer, out var written));
        Assert.Equal(4, written);
        Assert.Equal(full.Take(4), buffer);
    }

    [Fact]
    public void Decoding_an_unknown_token_throws()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => TiktokenEncoding.Cl100kBase.Decode([15339, 100256]));
        Assert.Throws<ArgumentOutOfRangeException>(() => TiktokenEncoding.O200kBase.Decode([-1]));
    }

    [Fact]
    public void A_token_cut_inside_a_character_decodes_with_a_replacement_character()
    {
        var encoding = TiktokenEncoding.Cl100kBase;
        var tokens = encoding.Encode("😀").ToArray();
        Assert.True(tokens.Length > 1);
        Assert.Equal(new byte[] { 0xF0, 0x9F, 0x98, 0x80 }, encoding.DecodeToUtf8(tokens));
        Assert.Contains('\uFFFD', encoding.Decode(tokens[..1]));
    }

    [Theory]
    [InlineData(TiktokenEncoding.Cl100kBaseName)]
    [InlineData(TiktokenEncoding.O200kBaseName)]
    public void Long_texts_round_trip_and_count_consistently(string name)
    {
        // Long pieces (a run of 5000 letters, a 3000-space run) take the heap merge and the pooled buffer.
        var encoding = TiktokenEncoding.Get(name);
        var text = string.Concat(ReferenceData.Vectors.Select(vector => vector.Text))
            + new string('x', 5000) + new string(' ', 3000) + "end" + string.Concat(Enumerable.Repeat("ab😀", 700));
        var tokens = encoding.Encode(text);
        Assert.Equal(text, encoding.Decode(tokens.ToArray()));
        Assert.Equal(tokens.Count, encoding.CountTokens(text));
    }
}
