using Parley.Sim.Tokens;

namespace Parley.Sim.Tests.Tokens;

public sealed class ApproximateTokenCounterTests
{
    private static List<string> Split(string text)
    {
        var tokens = new List<string>();
        var rest = text.AsSpan();
        while (!rest.IsEmpty)
        {
            var length = ApproximateTokenCounter.Instance.NextTokenLength(rest);
            Assert.InRange(length, 1, rest.Length);
            tokens.Add(rest[..length].ToString());
            rest = rest[length..];
        }
        return tokens;
    }

    [Theory]
    [InlineData("", new string[0])]
    [InlineData("hello", new[] { "hello" })]
    [InlineData("Hello, world!", new[] { "Hello", ",", " world", "!" })]
    [InlineData("internationalization", new[] { "internat", "ionaliza", "tion" })]
    [InlineData("pi 3.14159", new[] { "pi", " 3", ".", "141", "59" })]
    [InlineData("a  b", new[] { "a", " ", " b" })]
    [InlineData("line\n\nnext", new[] { "line", "\n\n", "next" })]
    [InlineData("x 😀 y", new[] { "x", " ", "😀", " y" })]
    [InlineData("héllo wörld", new[] { "héllo", " wörld" })]
    public void Splits_words_digits_symbols_and_whitespace(string text, string[] expected)
    {
        Assert.Equal(expected, Split(text));
        Assert.Equal(expected.Length, ApproximateTokenCounter.Instance.CountTokens(text));
    }
}
