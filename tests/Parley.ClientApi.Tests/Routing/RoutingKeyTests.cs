using Microsoft.AspNetCore.Http;
using Parley.ClientApi.Routing;

namespace Parley.ClientApi.Tests.Routing;

public sealed class RoutingKeyTests
{
    [Theory]
    [InlineData("/v1/conversations/conv_123", "conv_123")]
    [InlineData("/v1/conversations/conv_123/items", "conv_123")]
    [InlineData("/V1/Conversations/conv_9/items/item_1", "conv_9")]
    [InlineData("/v1/conversations", "")]
    [InlineData("/v1/conversations/", "")]
    [InlineData("/v1/chat/completions", "")]
    [InlineData(null, "")]
    public void Conversation_id_comes_from_the_path(string? path, string expected)
        => Assert.Equal(expected, RoutingKey.ConversationIdFromPath(path).ToString());

    [Fact]
    public void Path_beats_header_beats_body_beats_authorization_beats_connection()
    {
        var context = new DefaultHttpContext();
        context.Connection.Id = "connection-1";
        Assert.Equal(RoutingHash.Of("connection-1"), RoutingKey.HashOf(context));

        context.Request.Headers.Authorization = "Bearer sk-parley-abc";
        Assert.Equal(RoutingHash.Of("Bearer sk-parley-abc"), RoutingKey.HashOf(context));

        context.Features.Set(new BodyRoutingKeyFeature(RoutingHash.Of("conv_b")));
        Assert.Equal(RoutingHash.Of("conv_b"), RoutingKey.HashOf(context));
        Assert.False(RoutingKey.HasConversationOutsideBody(context.Request));

        context.Request.Headers[RoutingKey.ConversationHeader] = "conv_h";
        Assert.Equal(RoutingHash.Of("conv_h"), RoutingKey.HashOf(context));
        Assert.True(RoutingKey.HasConversationOutsideBody(context.Request));

        context.Request.Path = "/v1/conversations/conv_p/items";
        Assert.Equal(RoutingHash.Of("conv_p"), RoutingKey.HashOf(context));
    }

    [Fact]
    public void A_conversation_routes_the_same_by_path_by_header_and_by_body()
    {
        var byPath = new DefaultHttpContext();
        byPath.Request.Path = "/v1/conversations/conv_42";
        var byHeader = new DefaultHttpContext();
        byHeader.Request.Path = "/v1/chat/completions";
        byHeader.Request.Headers[RoutingKey.ConversationHeader] = " conv_42 ";
        Assert.True(ConversationField.TryHash("""{"conversation":"conv_42"}"""u8, out var byBody));
        Assert.Equal(RoutingKey.HashOf(byPath), RoutingKey.HashOf(byHeader));
        Assert.Equal(RoutingKey.HashOf(byPath), byBody);
    }

    // XXH64 (seed 0) reference values from xxhsum -H64, the xxHash project's own tool: the hash is the same in every
    // process and on every machine, so front-end replicas agree.
    [Theory]
    [InlineData("", 0xEF46DB3751D8E999UL)]
    [InlineData("a", 0xD24EC4F1A98C6E5BUL)]
    [InlineData("abc", 0x44BC2CF5AD770999UL)]
    [InlineData("The quick brown fox jumps over the lazy dog", 0x0B242D361FDA71BCUL)]
    [InlineData("conv_0123456789abcdefghijklmnopqrstuvwxyz_ABCDEFGHIJKLMNOPQRSTUVWXYZ!", 0x26011FC79B800787UL)]
    public void Keys_hash_to_the_reference_xxh64(string text, ulong expected)
        => Assert.Equal(expected, RoutingHash.Of(text));

    [Fact]
    public void Long_keys_hash_as_their_utf8_bytes()
    {
        var text = string.Concat(Enumerable.Repeat("é-conversation-", 100));
        Assert.Equal(RoutingHash.OfUtf8(System.Text.Encoding.UTF8.GetBytes(text)), RoutingHash.Of(text));
    }
}
