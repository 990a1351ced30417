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
    public void Path_beats_header_beats_authorization_beats_connection()
    {
        var context = new DefaultHttpContext();
        context.Connection.Id = "connection-1";
        Assert.Equal(RoutingHash.Of("connection-1"), RoutingKey.HashOf(context));

        context.Request.Headers.Authorization = "Bearer sk-parley-abc";
        Assert.Equal(RoutingHash.Of("Bearer sk-parley-abc"), RoutingKey.HashOf(context));

        context.Request.Headers[RoutingKey.ConversationHeader] = "conv_h";
        Assert.Equal(RoutingHash.Of("conv_h"), RoutingKey.HashOf(context));

        context.Request.Path = "/v1/conversations/conv_p/items";
        Assert.Equal(RoutingHash.Of("conv_p"), RoutingKey.HashOf(context));
    }

    [Fact]
    public void A_conversation_routes_the_same_by_path_and_by_header()
    {
        var byPath = new DefaultHttpContext();
        byPath.Request.Path = "/v1/conversations/conv_42";
        var byHeader = new DefaultHttpContext();
        byHeader.Request.Path = "/v1/chat/completions";
        byHeader.Request.Headers[RoutingKey.ConversationHeader] = "conv_42";
        Assert.Equal(RoutingKey.HashOf(byPath), RoutingKey.HashOf(byHeader));
    }
}
