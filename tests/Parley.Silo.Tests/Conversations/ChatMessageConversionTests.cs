using System.Text;
using Parley.GrainInterfaces.Conversations;
using Parley.Grains.Conversations;
using Parley.Silo.Conversations;
using Xunit;

namespace Parley.Silo.Tests.Conversations;

public sealed class ChatMessageConversionTests
{
    [Fact]
    public void One_text_part_becomes_a_string_message_and_several_become_text_parts()
    {
        Assert.Equal("""{"role":"user","content":"Hi \"you\""}""",
            Encoding.UTF8.GetString(ChatMessageConversion.ToChatMessageJson(new NewConversationItem("user", [new ConversationContentPart("input_text", "Hi \"you\"")]))));
        Assert.Equal("""{"role":"assistant","content":[{"type":"text","text":"a"},{"type":"text","text":"b"}]}""",
            Encoding.UTF8.GetString(ChatMessageConversion.ToChatMessageJson(new NewConversationItem("assistant",
                [new ConversationContentPart("output_text", "a"), new ConversationContentPart("output_text", "b")]))));
    }

    [Fact]
    public void Chat_messages_show_their_text_as_input_or_output_text()
    {
        Assert.Equal([new ConversationContentPart("input_text", "hello")],
            ChatMessageConversion.ToContentParts(new ChatMessageRecord("user", """{"role":"user","content":"hello"}""")));
        Assert.Equal([new ConversationContentPart("output_text", "x"), new ConversationContentPart("output_text", "y")],
            ChatMessageConversion.ToContentParts(new ChatMessageRecord("assistant",
                """{"role":"assistant","content":[{"type":"text","text":"x"},{"type":"image_url","image_url":{"url":"u"}},{"type":"text","text":"y"}]}""")));
        Assert.Empty(ChatMessageConversion.ToContentParts(new ChatMessageRecord("assistant", """{"role":"assistant","content":null,"tool_calls":[]}""")));
        Assert.Empty(ChatMessageConversion.ToContentParts(new ChatMessageRecord("user", "not json")));
    }

    [Theory]
    [InlineData("conv_0123456789abcdef0123456789abcdef", true)]
    [InlineData("conv_0123456789ABCDEF0123456789abcdef", false)]
    [InlineData("conv_0123456789abcdef0123456789abcde", false)]
    [InlineData("conv-0123456789abcdef0123456789abcdef", false)]
    [InlineData("", false)]
    [InlineData(null, false)]
    public void Conversation_ids_are_conv_and_32_lowercase_hex(string? id, bool valid)
    {
        Assert.Equal(valid, ConversationIds.IsValid(id));
        Assert.True(ConversationIds.IsValid(ConversationIds.New()));
    }
}
