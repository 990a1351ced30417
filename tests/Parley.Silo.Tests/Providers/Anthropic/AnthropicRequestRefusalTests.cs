using System.Buffers;
using System.Text;
using Parley.Silo.Api;
using Parley.Silo.Providers.Anthropic;
using Xunit;

namespace Parley.Silo.Tests.Providers.Anthropic;

/// <summary>Requests OpenAI accepts but Anthropic cannot be asked: each is a 400 naming the field at fault.</summary>
public sealed class AnthropicRequestRefusalTests
{
    private static ApiError Refuse(string openAiBody, AnthropicRequestSettings settings = default)
    {
        var error = AnthropicRequestTranslator.Write(Encoding.UTF8.GetBytes(openAiBody), new ArrayBufferWriter<byte>(), settings);
        Assert.NotNull(error);
        Assert.Equal(400, error.Status);
        Assert.Equal(OpenAIErrorTypes.InvalidRequest, error.Type);
        return error;
    }

    private static string With(string fields) => $$"""{"model":"m","messages":[{"role":"user","content":"x"}],{{fields}}}""";

    private static string Messages(string messages) => $$"""{"model":"m","messages":[{{messages}}]}""";

    public static TheoryData<string, string, string> Refusals => new()
    {
        { With("\"n\":2"), "n", "unsupported_value" },
        { With("\"response_format\":{\"type\":\"json_object\"}"), "response_format", "unsupported_value" },
        { With("\"response_format\":{\"type\":\"json_schema\",\"json_schema\":{\"name\":\"x\",\"schema\":{}}}"), "response_format", "unsupported_value" },
        { With("\"response_format\":\"json\""), "response_format", "invalid_type" },
        { With("\"functions\":[{\"name\":\"f\"}]"), "functions", "unsupported_parameter" },
        { With("\"function_call\":\"auto\""), "function_call", "unsupported_parameter" },
        { With("\"audio\":{\"voice\":\"alloy\",\"format\":\"wav\"}"), "audio", "unsupported_parameter" },
        { With("\"modalities\":[\"text\",\"audio\"]"), "modalities", "unsupported_parameter" },
        { With("\"temperature\":1.5"), "temperature", "invalid_value" },
        { With("\"temperature\":\"hot\""), "temperature", "invalid_type" },
        { With("\"top_p\":-0.1"), "top_p", "invalid_value" },
        { With("\"max_completion_tokens\":0"), "max_completion_tokens", "invalid_value" },
        { With("\"max_tokens\":\"many\""), "max_tokens", "invalid_type" },
        { With("\"stop\":[\"a\",1]"), "stop[1]", "invalid_type" },
        { With("\"stop\":5"), "stop", "invalid_type" },
        { With("\"tools\":{}"), "tools", "invalid_type" },
        { With("\"tools\":[{\"type\":\"custom\",\"custom\":{\"name\":\"c\"}}]"), "tools[0].type", "unsupported_value" },
        { With("\"tools\":[{\"function\":{\"name\":\"f\"}}]"), "tools[0].type", "missing_required_parameter" },
        { With("\"tools\":[{\"type\":\"function\",\"function\":{\"description\":\"d\"}}]"), "tools[0].function.name", "missing_required_parameter" },
        { With("\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"f\",\"parameters\":[]}}]"), "tools[0].function.parameters", "invalid_type" },
        { With("\"tool_choice\":\"sometimes\""), "tool_choice", "invalid_value" },
        { With("\"tool_choice\":{\"type\":\"allowed_tools\",\"allowed_tools\":{}}"), "tool_choice.type", "unsupported_value" },
        { With("\"tool_choice\":{\"type\":\"function\"}"), "tool_choice.function.name", "missing_required_parameter" },
        { With("\"tool_choice\":3"), "tool_choice", "invalid_type" },
        { """{"messages":[{"role":"user","content":"x"}]}""", "model", "missing_required_parameter" },
        { """{"model":"m","messages":{}}""", "messages", "invalid_type" },
        { Messages("""{"role":"system","content":"only instructions"}"""), "messages", "invalid_value" },
        { Messages("""{"role":"user","content":""}"""), "messages", "invalid_value" },
        { Messages("""{"role":"function","name":"f","content":"x"}"""), "messages[0].role", "unsupported_value" },
        { Messages("""{"role":"critic","content":"x"}"""), "messages[0].role", "invalid_value" },
        { Messages("""{"content":"x"}"""), "messages[0].role", "missing_required_parameter" },
        { Messages("\"hello\""), "messages[0]", "invalid_type" },
        { Messages("""{"role":"user","content":[{"type":"text","text":"x"},{"type":"input_audio","input_audio":{"data":"AA","format":"wav"}}]}"""), "messages[0].content[1]", "unsupported_value" },
        { Messages("""{"role":"user","content":"x"},{"role":"user","content":[{"type":"file","file":{"file_id":"f"}}]}"""), "messages[1].content[0]", "unsupported_value" },
        { Messages("""{"role":"user","content":[{"text":"x"}]}"""), "messages[0].content[0].type", "missing_required_parameter" },
        { Messages("""{"role":"user","content":[{"type":"text"}]}"""), "messages[0].content[0].text", "missing_required_parameter" },
        { Messages("""{"role":"user","content":5}"""), "messages[0].content", "invalid_type" },
        { Messages("""{"role":"user","content":[{"type":"image_url"}]}"""), "messages[0].content[0].image_url", "missing_required_parameter" },
        { Messages("""{"role":"user","content":[{"type":"image_url","image_url":{"detail":"low"}}]}"""), "messages[0].content[0].image_url.url", "missing_required_parameter" },
        { Messages("""{"role":"user","content":[{"type":"image_url","image_url":{"url":"data:image/png,rawbytes"}}]}"""), "messages[0].content[0].image_url.url", "invalid_value" },
        { Messages("""{"role":"user","content":[{"type":"image_url","image_url":{"url":"data:;base64,AAAA"}}]}"""), "messages[0].content[0].image_url.url", "invalid_value" },
        { Messages("""{"role":"user","content":[{"type":"image_url","image_url":{"url":"ftp://example.com/a.png"}}]}"""), "messages[0].content[0].image_url.url", "invalid_value" },
        { Messages("""{"role":"system","content":[{"type":"image_url","image_url":{"url":"https://e.com/a.png"}}]},{"role":"user","content":"x"}"""), "messages[0].content[0].type", "unsupported_value" },
        { Messages("""{"role":"user","content":"x"},{"role":"assistant","content":[{"type":"image_url","image_url":{"url":"https://e.com/a.png"}}]}"""), "messages[1].content[0].type", "unsupported_value" },
        { Messages("""{"role":"user","content":"x"},{"role":"assistant","function_call":{"name":"f","arguments":"{}"}}"""), "messages[1].function_call", "unsupported_parameter" },
        { Messages("""{"role":"user","content":"x"},{"role":"assistant","tool_calls":{}}"""), "messages[1].tool_calls", "invalid_type" },
        { Messages("""{"role":"user","content":"x"},{"role":"assistant","tool_calls":[{"type":"function","function":{"name":"f","arguments":"{}"}}]}"""), "messages[1].tool_calls[0].id", "missing_required_parameter" },
        { Messages("""{"role":"user","content":"x"},{"role":"assistant","tool_calls":[{"id":"c","type":"custom","custom":{"name":"f","input":"x"}}]}"""), "messages[1].tool_calls[0].type", "unsupported_value" },
        { Messages("""{"role":"user","content":"x"},{"role":"assistant","tool_calls":[{"id":"c","type":"function"}]}"""), "messages[1].tool_calls[0].function", "missing_required_parameter" },
        { Messages("""{"role":"user","content":"x"},{"role":"assistant","tool_calls":[{"id":"c","type":"function","function":{"arguments":"{}"}}]}"""), "messages[1].tool_calls[0].function.name", "missing_required_parameter" },
        { Messages("""{"role":"user","content":"x"},{"role":"assistant","tool_calls":[{"id":"c","type":"function","function":{"name":"f","arguments":"{\"a\":"}}]}"""), "messages[1].tool_calls[0].function.arguments", "invalid_value" },
        { Messages("""{"role":"user","content":"x"},{"role":"assistant","tool_calls":[{"id":"c","type":"function","function":{"name":"f","arguments":"[1,2]"}}]}"""), "messages[1].tool_calls[0].function.arguments", "invalid_value" },
        { Messages("""{"role":"user","content":"x"},{"role":"assistant","tool_calls":[{"id":"c","type":"function","function":{"name":"f","arguments":"{} {}"}}]}"""), "messages[1].tool_calls[0].function.arguments", "invalid_value" },
        { Messages("""{"role":"user","content":"x"},{"role":"assistant","tool_calls":[{"id":"c","type":"function","function":{"name":"f","arguments":{"a":1}}}]}"""), "messages[1].tool_calls[0].function.arguments", "invalid_type" },
        { Messages("""{"role":"user","content":"x"},{"role":"assistant","tool_calls":[{"id":"c","type":"function","function":{"name":"f","arguments":"{\"a\":\"\ud800\"}"}}]}"""), "messages[1].tool_calls[0].function.arguments", "invalid_value" },
        { Messages("""{"role":"user","content":[{"type":"image_url","image_url":{"url":"https://e.com/\ud800.png"}}]}"""), "messages[0].content[0].image_url.url", "invalid_value" },
        { Messages("""{"role":"user","content":"x"},{"role":"tool","content":"42"}"""), "messages[1].tool_call_id", "missing_required_parameter" },
        { Messages("""{"role":"user","content":"x"},{"role":"tool","tool_call_id":"c","content":[{"type":"image_url","image_url":{"url":"https://e.com/a.png"}}]}"""), "messages[1].content[0].type", "unsupported_value" },
        { Messages("""{"role":"user","content":"x"},{"role":"tool","tool_call_id":"c","content":7}"""), "messages[1].content", "invalid_type" },
    };

    [Theory]
    [MemberData(nameof(Refusals))]
    public void Each_untranslatable_request_is_a_400_naming_its_param(string body, string param, string code)
    {
        var error = Refuse(body);

        Assert.Equal(param, error.Param);
        Assert.Equal(code, error.Code);
        Assert.False(string.IsNullOrWhiteSpace(error.Message));
    }

    [Fact]
    public void The_messages_say_what_to_do_instead()
    {
        Assert.Equal("Invalid 'temperature': 1.5. Anthropic models accept a temperature from 0 to 1 (OpenAI's range is 0 to 2); send a value between 0 and 1.",
            Refuse(With("\"temperature\":1.5")).Message);
        Assert.Equal("Anthropic models return one choice per request; 'n' must be 1.", Refuse(With("\"n\":3")).Message);
        Assert.Equal("Content parts of type 'input_audio' are not supported for Anthropic models (at 'messages[0].content[0]').",
            Refuse(Messages("""{"role":"user","content":[{"type":"input_audio","input_audio":{}}]}""")).Message);
        Assert.StartsWith("Invalid 'messages[1].tool_calls[0].function.arguments': Anthropic models need the arguments of a tool call as a JSON object, but they are not valid JSON (",
            Refuse(Messages("""{"role":"user","content":"x"},{"role":"assistant","tool_calls":[{"id":"c","function":{"name":"f","arguments":"{oops"}}]}""")).Message);
        Assert.Equal("Invalid 'messages[1].tool_calls[0].function.arguments': Anthropic models need the arguments of a tool call as a JSON object, but they are a JSON array.",
            Refuse(Messages("""{"role":"user","content":"x"},{"role":"assistant","tool_calls":[{"id":"c","function":{"name":"f","arguments":"[]"}}]}""")).Message);
    }

    [Fact]
    public void Messages_from_the_stored_conversation_are_named_apart_from_the_clients_own()
    {
        var body = Messages("""
            {"role":"user","content":[{"type":"input_audio"}]},{"role":"assistant","content":"ok"},{"role":"user","content":[{"type":"file"}]}
            """);
        var settings = new AnthropicRequestSettings { StoredMessageCount = 1 };

        Assert.Equal("conversation.messages[0].content[0]", Refuse(body, settings).Param);
        Assert.Equal("messages[1].content[0]", Refuse(body.Replace("\"input_audio\"", "\"text\",\"text\":\"a\""), settings).Param);
    }

    [Fact]
    public void A_body_that_is_not_a_json_object_is_refused_as_OpenAI_refuses_it()
    {
        Assert.Equal(InputErrors.InvalidJsonCode, Refuse("{\"model\":").Code);
        Assert.Equal(InputErrors.InvalidTypeCode, Refuse("[1]").Code);
    }
}
