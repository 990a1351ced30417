using System.Text.Json;
using Parley.Tokenizer.Chat;

namespace Parley.Tokenizer.Tests.Chat;

public sealed class ChatTokenCounterTests
{
    // The example conversation of OpenAI's cookbook "How to count tokens with tiktoken"; the API reported 129 prompt
    // tokens for gpt-4 / gpt-3.5-turbo-0613 and 124 for gpt-4o / gpt-4o-mini.
    private static readonly ChatMessage[] s_cookbookMessages =
    [
        new("system", "You are a helpful, pattern-following assistant that translates corporate jargon into plain English."),
        new("system", "New synergies will help drive top-line growth.", "example_user"),
        new("system", "Things working well together will increase revenue.", "example_assistant"),
        new("system", "Let's circle back when we have more bandwidth to touch base on opportunities for increased leverage.", "example_user"),
        new("system", "Let's talk later when we're less busy about how to do better.", "example_assistant"),
        new("user", "This late pivot means we don't have time to boil the ocean for the client deliverable."),
    ];

    [Theory]
    [InlineData("gpt-4", 129)]
    [InlineData("gpt-4-0613", 129)]
    [InlineData("gpt-3.5-turbo-0613", 129)]
    [InlineData("gpt-4o", 124)]
    [InlineData("gpt-4o-mini", 124)]
    public void Cookbook_example_matches_the_published_counts(string model, int expected)
    {
        var counter = ChatTokenCounter.ForModel(model)!;

        Assert.Equal(expected, counter.CountPrompt(s_cookbookMessages));
        Assert.Equal(expected, counter.CountPrompt(ToJson(s_cookbookMessages)));
    }

    [Fact]
    public void Single_message_is_framing_plus_role_plus_content_plus_priming()
    {
        var counter = new ChatTokenCounter(TiktokenEncoding.O200kBase);

        // "user" = 1 token, "hello world" = [24912, 2375] = 2 tokens: 3 + 1 + 2, then 3 for reply priming.
        Assert.Equal(6, counter.CountMessage(new ChatMessage("user", "hello world")));
        Assert.Equal(9, counter.CountPrompt([new ChatMessage("user", "hello world")]));
        // A name adds its tokens ("bob" = 1) plus 1.
        Assert.Equal(11, counter.CountPrompt([new ChatMessage("user", "hello world", "bob")]));
        // No messages: only the reply priming.
        Assert.Equal(3, counter.CountPrompt(ReadOnlySpan<ChatMessage>.Empty));
    }

    [Theory]
    [InlineData(TiktokenEncoding.O200kBaseName, 16)] // 9 content tokens
    [InlineData(TiktokenEncoding.Cl100kBaseName, 23)] // 16 content tokens
    public void Chinese_content_counts_its_reference_tokens(string encoding, int expected)
    {
        var counter = new ChatTokenCounter(TiktokenEncoding.Get(encoding));
        ChatMessage[] messages = [new("user", "你好，世界！今天天气很好。")];

        Assert.Equal(expected, counter.CountPrompt(messages));
        Assert.Equal(expected, counter.CountPrompt(ToJson(messages)));
    }

    [Fact]
    public void Json_multi_part_content_counts_the_concatenation_of_its_text_parts()
    {
        var counter = new ChatTokenCounter(TiktokenEncoding.O200kBase);
        using var document = JsonDocument.Parse("""
            [{"role":"user","content":[
                {"type":"text","text":"hello"},
                {"type":"image_url","image_url":{"url":"https://example.com/x.png"}},
                {"type":"text","text":" world"}]}]
            """);

        Assert.Equal(9, counter.CountPrompt(document.RootElement));
    }

    [Fact]
    public void Json_escapes_are_counted_as_the_text_they_stand_for()
    {
        var counter = new ChatTokenCounter(TiktokenEncoding.O200kBase);
        // "Hello, World!" = [13225, 11, 5922, 0] = 4 tokens; \u0021 is "!" and \u0048 is "H".
        using var document = JsonDocument.Parse("""[{"role":"user","content":"\u0048ello, World\u0021"}]""");

        Assert.Equal(3 + 1 + 4 + 3, counter.CountPrompt(document.RootElement));
    }

    [Fact]
    public void Json_null_content_counts_only_framing_and_role()
    {
        var counter = new ChatTokenCounter(TiktokenEncoding.O200kBase);
        using var document = JsonDocument.Parse("""[{"role":"assistant","content":null}]""");

        // "assistant" = 1 token.
        Assert.Equal(3 + 1 + 3, counter.CountPrompt(document.RootElement));
    }

    [Theory]
    [InlineData("""{"role":"user"}""")]
    [InlineData("""[{"content":"no role"}]""")]
    [InlineData("""["just a string"]""")]
    public void Json_that_is_not_a_messages_array_is_rejected(string json)
    {
        var counter = new ChatTokenCounter(TiktokenEncoding.O200kBase);
        using var document = JsonDocument.Parse(json);

        Assert.Throws<ArgumentException>(() => counter.CountPrompt(document.RootElement));
    }

    [Fact]
    public void Unknown_model_has_no_counter()
    {
        Assert.Null(ChatTokenCounter.ForModel("claude-3-opus"));
    }

    private static JsonElement ToJson(ChatMessage[] messages)
    {
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream))
        {
            writer.WriteStartArray();
            foreach (var message in messages)
            {
                writer.WriteStartObject();
                writer.WriteString("role", message.Role);
                writer.WriteString("content", message.Content);
                if (message.Name is not null)
                {
                    writer.WriteString("name", message.Name);
                }

                writer.WriteEndObject();
            }

            writer.WriteEndArray();
        }

        using var document = JsonDocument.Parse(stream.ToArray());
        return document.RootElement.Clone();
    }
}
