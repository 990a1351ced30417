using System.Text;
using Parley.ClientApi.Routing;

namespace Parley.ClientApi.Tests.Routing;

public sealed class ConversationFieldTests
{
    [Theory]
    [InlineData("""{"model":"gpt-4o","conversation":"conv_1","messages":[{"role":"user","content":"hi"}]}""")]
    [InlineData("""{"messages":[{"role":"user","content":"conversation","conversation":"conv_nested"}],"conversation":"conv_1"}""")]
    [InlineData("""{"metadata":{"conversation":"conv_nested"},"conversation":{"id":"conv_1","x":[1,{"id":"no"}]}}""")]
    [InlineData("""{"conversation":{"meta":{"id":"conv_nested"},"id":"conv_1"}}""")]
    [InlineData("""  {"conversation" : "conv\u005f1"}  """)]
    [InlineData("""{/* comment */ "conversation":"conv_1"}""")]
    public void The_top_level_conversation_is_found_wherever_it_sits(string json)
    {
        Assert.True(ConversationField.TryHash(Encoding.UTF8.GetBytes(json), out var hash));
        Assert.Equal(RoutingHash.Of("conv_1"), hash);
    }

    [Theory]
    [InlineData("""{"model":"gpt-4o","messages":[{"role":"user","content":"hi"}]}""")]
    [InlineData("""{"messages":[{"conversation":"conv_nested"}],"metadata":{"conversation":"conv_nested"}}""")]
    [InlineData("""{"conversation":null}""")]
    [InlineData("""{"conversation":""}""")]
    [InlineData("""{"conversation":42}""")]
    [InlineData("""{"conversation":{"name":"x"}}""")]
    [InlineData("""["conversation","conv_1"]""")]
    [InlineData("""{"model":"gpt-4o","conversation" """)]
    [InlineData("not json")]
    [InlineData("")]
    public void Anything_else_falls_back_to_the_next_key(string json)
        => Assert.False(ConversationField.TryHash(Encoding.UTF8.GetBytes(json), out _));

    [Fact]
    public void An_escaped_id_hashes_as_its_text()
    {
        Assert.True(ConversationField.TryHash(Encoding.UTF8.GetBytes("""{"conversation":"conv_\u00e9\/x"}"""), out var hash));
        Assert.Equal(RoutingHash.Of("conv_é/x"), hash);
    }
}
