using System.Text;
using Parley.ClientApi.Routing;

namespace Parley.ClientApi.Tests.Routing;

public sealed class XxHash64Tests
{
    // Reference values from xxhsum -H64 (the xxHash project's own tool), covering each code path: empty, the byte
    // tail, the 4-byte tail, 8-byte lanes and the 32-byte stripe loop.
    [Theory]
    [InlineData("", 0xEF46DB3751D8E999UL)]
    [InlineData("a", 0xD24EC4F1A98C6E5BUL)]
    [InlineData("abc", 0x44BC2CF5AD770999UL)]
    [InlineData("The quick brown fox jumps over the lazy dog", 0x0B242D361FDA71BCUL)]
    [InlineData("conv_0123456789abcdefghijklmnopqrstuvwxyz_ABCDEFGHIJKLMNOPQRSTUVWXYZ!", 0x26011FC79B800787UL)]
    public void Matches_the_reference_implementation(string text, ulong expected)
    {
        Assert.Equal(expected, XxHash64.Hash(Encoding.UTF8.GetBytes(text)));
        Assert.Equal(expected, RoutingHash.Of(text));
    }

    [Fact]
    public void Long_keys_hash_the_same_as_their_utf8_bytes()
    {
        var text = string.Concat(Enumerable.Repeat("é-conversation-", 100));
        Assert.Equal(XxHash64.Hash(Encoding.UTF8.GetBytes(text)), RoutingHash.Of(text));
    }
}
