using System.Buffers;
using System.Text;
using System.Text.Json;
using Parley.Silo.Providers.Anthropic;
using Xunit;

namespace Parley.Silo.Tests.Providers.Anthropic;

/// <summary>The Anthropic body written for an OpenAI body, checked byte for byte.</summary>
public sealed class AnthropicRequestTranslatorTests
{
    internal static string Translate(string openAiBody, AnthropicRequestSettings settings = default)
    {
        var output = new ArrayBufferWriter<byte>();
        var error = AnthropicRequestTranslator.Write(Encoding.UTF8.GetBytes(openAiBody), output, settings);
        Assert.Null(error);
        var json = Encoding.UTF8.GetString(output.WrittenSpan);
        using var _ = JsonDocument.Parse(json);
        return json;
    }

    [Fact]
    public void A_full_tool_round_trip_with_images_system_texts_and_every_mapped_field()
    {
        var body = """
            {"model":"claude-sonnet-4-5","messages":[
              {"role":"system","content":"You are terse."},
              {"role":"user","content":[{"type":"text","text":"What is in these?"},
                {"type":"image_url","image_url":{"url":"data:image/png;base64,iVBORw0KGgo+/w==","detail":"high"}},
                {"type":"image_url","image_url":{"url":"https://example.com/cat.jpg"}}]},
              {"role":"assistant","content":null,"tool_calls":[
                {"id":"call_1","type":"function","function":{"name":"get_weather","arguments":"{\"city\": \"Oslo\"}"}},
                {"id":"call_2","type":"function","function":{"name":"get_time","arguments":""}}]},
              {"role":"tool","tool_call_id":"call_1","content":"12°C"},
              {"role":"tool","tool_call_id":"call_2","content":[{"type":"text","text":"09:00"}]},
              {"role":"developer","content":[{"type":"text","text":"Answer in French."}]},
              {"role":"user","content":"And now?","name":"ann"}],
             "max_completion_tokens":256,"max_tokens":999,"temperature":0.5,"top_p":0.9,"stop":["\n\n","END"],
             "stream":true,"stream_options":{"include_usage":true},"user":"user-42",
             "tools":[{"type":"function","function":{"name":"get_weather","description":"Weather now","parameters":{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]},"strict":true}},
                      {"type":"function","function":{"name":"get_time"}}],
             "tool_choice":"required","parallel_tool_calls":false,
             "frequency_penalty":0.5,"presence_penalty":0.1,"logit_bias":{"1":2},"seed":7,"logprobs":false,"top_logprobs":null,
             "response_format":{"type":"text"},"service_tier":"auto","store":false,"metadata":{"a":"b"},"n":1}
            """;

        Assert.Equal("""
            {"model":"claude-sonnet-4-5","max_tokens":256,"system":[{"type":"text","text":"You are terse."},{"type":"text","text":"Answer in French."}],"messages":[{"role":"user","content":[{"type":"text","text":"What is in these?"},{"type":"image","source":{"type":"base64","media_type":"image/png","data":"iVBORw0KGgo+/w=="}},{"type":"image","source":{"type":"url","url":"https://example.com/cat.jpg"}}]},{"role":"assistant","content":[{"type":"tool_use","id":"call_1","name":"get_weather","input":{"city": "Oslo"}},{"type":"tool_use","id":"call_2","name":"get_time","input":{}}]},{"role":"user","content":[{"type":"tool_result","tool_use_id":"call_1","content":"12°C"},{"type":"tool_result","tool_use_id":"call_2","content":[{"type":"text","text":"09:00"}]},{"type":"text","text":"And now?"}]}],"temperature":0.5,"top_p":0.9,"stop_sequences":["\n\n","END"],"stream":true,"metadata":{"user_id":"user-42"},"tools":[{"name":"get_weather","description":"Weather now","input_schema":{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}},{"name":"get_time","input_schema":{"type":"object","properties":{}}}],"tool_choice":{"type":"any","disable_parallel_tool_use":true}}
            """, Translate(body));
    }

    [Fact]
    public void The_smallest_request_gets_the_default_reply_limit_and_its_text_as_a_block()
    {
        var body = """{"model":"m","messages":[{"role":"user","content":"Hi"}]}""";

        Assert.Equal("""{"model":"m","max_tokens":4096,"messages":[{"role":"user","content":[{"type":"text","text":"Hi"}]}]}""", Translate(body));
        Assert.Equal("""{"model":"m","max_tokens":4096,"messages":[{"role":"user","content":[{"type":"text","text":"Hi"}]}]}""", Translate(body, new AnthropicRequestSettings()));
        Assert.Equal("""{"model":"m","max_tokens":1000,"messages":[{"role":"user","content":[{"type":"text","text":"Hi"}]}]}""", Translate(body, new AnthropicRequestSettings { DefaultMaxTokens = 1000 }));
    }

    [Theory]
    [InlineData("""
        "max_tokens":77
        """, 77)]
    [InlineData("""
        "max_completion_tokens":55,"max_tokens":77
        """, 55)]
    [InlineData("""
        "max_completion_tokens":null,"max_tokens":77
        """, 77)]
    [InlineData("""
        "max_tokens":null
        """, 4096)]
    public void Max_completion_tokens_wins_over_max_tokens_which_wins_over_the_default(string fields, int expected)
    {
        var json = Translate($$"""{"model":"m",{{fields}},"messages":[{"role":"user","content":"Hi"}]}""");

        Assert.StartsWith($$"""{"model":"m","max_tokens":{{expected}},"messages":""", json);
    }

    [Fact]
    public void One_system_text_is_a_string_and_strings_keep_their_escapes()
    {
        var body = """{"model":"m","messages":[{"role":"user","content":"caf\u00e9 \"q\" 😀"},{"role":"system","content":"Be \\ kind"},{"role":"user","content":"again"}]}""";

        Assert.Equal("""{"model":"m","max_tokens":4096,"system":"Be \\ kind","messages":[{"role":"user","content":[{"type":"text","text":"caf\u00e9 \"q\" 😀"},{"type":"text","text":"again"}]}]}""", Translate(body));
    }

    [Fact]
    public void Consecutive_messages_of_one_role_merge_and_empty_text_leaves_no_block_or_turn()
    {
        var body = """
            {"model":"m","messages":[
              {"role":"user","content":"a"},{"role":"user","content":[{"type":"text","text":"b"},{"type":"text","text":""}]},
              {"role":"assistant","content":""},{"role":"user","content":"c"},
              {"role":"assistant","content":[{"type":"text","text":"d"},{"type":"refusal","refusal":"no"}]},
              {"role":"assistant","content":null,"refusal":"never"},
              {"role":"assistant","content":"","tool_calls":[{"id":"t1","type":"function","function":{"name":"f","arguments":"{}"}}]},
              {"role":"tool","tool_call_id":"t1","content":""},{"role":"system","content":""},{"role":"tool","tool_call_id":"t1","content":[]}]}
            """;

        Assert.Equal("""{"model":"m","max_tokens":4096,"messages":[{"role":"user","content":[{"type":"text","text":"a"},{"type":"text","text":"b"},{"type":"text","text":"c"}]},{"role":"assistant","content":[{"type":"text","text":"d"},{"type":"text","text":"no"},{"type":"text","text":"never"},{"type":"tool_use","id":"t1","name":"f","input":{}}]},{"role":"user","content":[{"type":"tool_result","tool_use_id":"t1"},{"type":"tool_result","tool_use_id":"t1"}]}]}""",
            Translate(body));
    }

    [Fact]
    public void Escaped_tool_arguments_become_the_input_object_as_written()
    {
        var body = """{"model":"m","messages":[{"role":"user","content":"x"},{"role":"assistant","tool_calls":[{"id":"c","function":{"name":"f","arguments":" {\"q\":\"caf\\u00e9 \\\"x\\\"\",\"n\":[1, 2]}\n"}}]}]}""";

        Assert.Equal("""{"model":"m","max_tokens":4096,"messages":[{"role":"user","content":[{"type":"text","text":"x"}]},{"role":"assistant","content":[{"type":"tool_use","id":"c","name":"f","input":{"q":"caf\u00e9 \"x\"","n":[1, 2]}}]}]}""", Translate(body));
    }

    [Theory]
    [InlineData("\"auto\"", "false", """{"type":"auto","disable_parallel_tool_use":true}""")]
    [InlineData("\"auto\"", "true", """{"type":"auto"}""")]
    [InlineData("\"required\"", "null", """{"type":"any"}""")]
    [InlineData("\"none\"", "false", """{"type":"none"}""")]
    [InlineData("""{"type":"function","function":{"name":"get_time"}}""", "true", """{"type":"tool","name":"get_time"}""")]
    [InlineData("""{"type":"function","function":{"name":"get_time"}}""", "false", """{"type":"tool","name":"get_time","disable_parallel_tool_use":true}""")]
    [InlineData("null", "false", """{"type":"auto","disable_parallel_tool_use":true}""")]
    public void Tool_choice_and_parallel_tool_calls_become_one_tool_choice(string toolChoice, string parallel, string expected)
    {
        var body = $$$"""{"model":"m","messages":[{"role":"user","content":"x"}],"tools":[{"type":"function","function":{"name":"get_time","parameters":null}}],"tool_choice":{{{toolChoice}}},"parallel_tool_calls":{{{parallel}}}}""";

        Assert.Equal("""{"model":"m","max_tokens":4096,"messages":[{"role":"user","content":[{"type":"text","text":"x"}]}],"tools":[{"name":"get_time","input_schema":{"type":"object","properties":{}}}],"tool_choice":""" + expected + "}", Translate(body));
    }

    [Theory]
    [InlineData("")]
    [InlineData(""","tools":[]""")]
    [InlineData(""","tools":null""")]
    public void Without_tools_tool_choice_and_parallel_tool_calls_are_left_out(string tools)
    {
        var body = $$"""{"model":"m","messages":[{"role":"user","content":"x"}],"tool_choice":"none","parallel_tool_calls":false{{tools}}}""";

        Assert.Equal("""{"model":"m","max_tokens":4096,"messages":[{"role":"user","content":[{"type":"text","text":"x"}]}]}""", Translate(body));
    }

    [Theory]
    [InlineData("""
        "stop":"###"
        """, """
        ,"stop_sequences":["###"]
        """)]
    [InlineData("""
        "stop":[]
        """, "")]
    [InlineData("""
        "stop":null,"stream":false,"user":"","temperature":null
        """, "")]
    [InlineData("""
        "temperature":1,"top_p":0
        """, """
        ,"temperature":1,"top_p":0
        """)]
    public void Optional_fields_are_written_only_when_they_say_something(string fields, string expected)
    {
        var body = $$"""{"model":"m","messages":[{"role":"user","content":"x"}],{{fields}}}""";

        Assert.Equal($$"""{"model":"m","max_tokens":4096,"messages":[{"role":"user","content":[{"type":"text","text":"x"}]}]{{expected}}}""", Translate(body));
    }

    [Fact]
    public void An_image_url_given_as_a_bare_string_with_a_charset_parameter_still_translates()
    {
        var body = """{"model":"m","messages":[{"role":"user","content":[{"type":"image_url","image_url":"DATA:image/webp;charset=x;BASE64,AAA\/"}]}]}""";

        Assert.Equal("""{"model":"m","max_tokens":4096,"messages":[{"role":"user","content":[{"type":"image","source":{"type":"base64","media_type":"image/webp","data":"AAA/"}}]}]}""", Translate(body));
    }
}
