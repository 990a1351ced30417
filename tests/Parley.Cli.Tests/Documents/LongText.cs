using System.Globalization;
using System.Text;

namespace Parley.Cli.Tests.Documents;

/// <summary>A deterministic long document: numbered paragraphs of plain sentences (about 300 words a page), with one
/// paragraph longer than a chunk (cut at sentence ends) and one sentence longer than a chunk (cut at spaces).</summary>
public static class LongText
{
    private static readonly string[] Words =
    [
        "the", "committee", "reviewed", "quarterly", "revenue", "growth", "across", "regions", "and", "noted", "that", "customer",
        "retention", "improved", "while", "costs", "rose", "because", "of", "supply", "delays", "in", "manufacturing", "plants",
        "analysts", "expect", "margins", "to", "recover", "next", "year", "as", "new", "products", "reach", "markets",
    ];

    public static string Pages(int pages, int wordsPerPage = 300, int seed = 42)
    {
        var random = new Random(seed);
        var builder = new StringBuilder();
        var paragraph = 0;
        var words = 0;
        while (words < pages * wordsPerPage)
        {
            paragraph++;
            builder.Append(CultureInfo.InvariantCulture, $"Paragraph {paragraph}.");
            var sentences = paragraph == 40 ? 400 : random.Next(3, 8);
            for (var s = 0; s < sentences; s++)
            {
                var length = paragraph == 90 && s == 1 ? 5000 : random.Next(8, 18);
                builder.Append(' ');
                for (var w = 0; w < length; w++)
                {
                    var word = Words[random.Next(Words.Length)];
                    builder.Append(w == 0 ? char.ToUpperInvariant(word[0]) + word[1..] : word);
                    builder.Append(w == length - 1 ? "." : " ");
                }
                words += length;
            }
            builder.Append("\n\n");
        }
        return builder.ToString();
    }
}
