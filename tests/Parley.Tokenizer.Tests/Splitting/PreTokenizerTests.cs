using System.Text;
using System.Text.RegularExpressions;

namespace Parley.Tokenizer.Tests.Splitting;

/// <summary>
/// The hand-written splitters against .NET's backtracking Regex running the published patterns. On text without
/// surrogate pairs the two engines agree on every construct the patterns use, so any difference is a splitter bug.
/// </summary>
public sealed class PreTokenizerTests
{
    // Letters of every case class (Lu, Ll, Lt, Lm, Lo), marks, digits of all three N classes, the whitespace the
    // patterns distinguish, apostrophes for contractions, '/' for o200k's tail, punctuation, control characters.
    private const string Alphabet =
        "aAbBsStTrReEvVmMlLdDzZ éÉǅʰ中あ\u0301\u0903٣²Ⅻ '''   \t\r\n\r\n\u00A0\u3000\u2028\u0085\u000B\u001C//.,!?-_#(){}<>\"😀☃€";

    public static TheoryData<string> Encodings => new(TiktokenEncoding.Cl100kBaseName, TiktokenEncoding.O200kBaseName);

    [Theory]
    [MemberData(nameof(Encodings))]
    public void Splits_like_the_published_pattern_on_random_text(string name)
    {
        var encoding = TiktokenEncoding.Get(name);
        var regex = new Regex(encoding.Pattern, RegexOptions.CultureInvariant);
        var splitter = EncodingDefinition.Find(name)!.PreTokenizer;
        var random = new Random(20240611);
        var alphabet = Alphabet.EnumerateRunes().Where(rune => rune.IsBmp).Select(rune => (char)rune.Value).ToArray();

        for (var iteration = 0; iteration < 4000; iteration++)
        {
            var builder = new StringBuilder();
            var length = random.Next(0, 40);
            for (var i = 0; i < length; i++)
            {
                builder.Append(alphabet[random.Next(alphabet.Length)]);
            }

            var text = builder.ToString();
            var expected = regex.Matches(text).Select(match => match.Value).ToArray();
            var actual = Split(splitter, text);
            Assert.True(expected.SequenceEqual(actual),
                $"{name} on [{Show(text)}]: regex [{string.Join("|", expected.Select(Show))}] splitter [{string.Join("|", actual.Select(Show))}]");
        }
    }

    [Theory]
    [InlineData(TiktokenEncoding.Cl100kBaseName, "𝔘𝔫𝔦 x𝑥²", new[] { "𝔘𝔫𝔦", " x𝑥", "²" })]
    [InlineData(TiktokenEncoding.O200kBaseName, "𝔘𝔫𝔦 x𝑥²", new[] { "𝔘𝔫𝔦", " x𝑥", "²" })]
    [InlineData(TiktokenEncoding.O200kBaseName, "CamelCase don't'S", new[] { "Camel", "Case", " don't", "'S" })]
    [InlineData(TiktokenEncoding.Cl100kBaseName, "don't   \n\n  x", new[] { "don", "'t", "   \n\n", " ", " x" })]
    public void Letters_outside_the_basic_plane_are_letters(string name, string text, string[] pieces)
    {
        Assert.Equal(pieces, Split(EncodingDefinition.Find(name)!.PreTokenizer, text));
    }

    private static List<string> Split(PreTokenizer splitter, string text)
    {
        var pieces = new List<string>();
        var position = 0;
        while (position < text.Length)
        {
            var end = splitter.NextPieceEnd(text, position);
            Assert.True(end > position && end <= text.Length);
            pieces.Add(text[position..end]);
            position = end;
        }

        return pieces;
    }

    private static string Show(string text) =>
        string.Concat(text.Select(c => c < 0x20 || c is '\u0085' or '\u00A0' or '\u2028' or '\u3000' ? $"\\u{(int)c:X4}" : c.ToString()));
}
