using System.Buffers;
using System.Globalization;
using System.Text.Json;
using Parley.Silo.Api;

namespace Parley.Silo.Providers.Anthropic;

/// <summary>Writes the Anthropic Messages body for the OpenAI chat completions body Parley sends upstream.</summary>
/// <remarks>
/// <para>The mapping, OpenAI → Anthropic:</para>
/// <list type="table">
/// <item><term><c>model</c></term><description><c>model</c> (already the upstream name).</description></item>
/// <item><term><c>system</c> / <c>developer</c> messages</term><description>top-level <c>system</c>, in order, from
/// anywhere in the list: a string for one text, else text blocks.</description></item>
/// <item><term><c>user</c> content</term><description>text blocks; <c>image_url</c> data URLs become base64 image
/// blocks, http(s) URLs url image blocks (<c>detail</c> dropped); <c>input_audio</c>, <c>file</c> and other parts → 400.</description></item>
/// <item><term><c>assistant</c> content, <c>refusal</c></term><description>text blocks.</description></item>
/// <item><term><c>assistant.tool_calls</c></term><description><c>tool_use</c> blocks; <c>input</c> is the arguments'
/// JSON object as written (<c>""</c> → <c>{}</c>; anything but an object → 400).</description></item>
/// <item><term><c>tool</c> messages</term><description><c>tool_result</c> blocks in a user turn.</description></item>
/// <item><term>consecutive messages of one role</term><description>one turn (Anthropic requires alternation); empty
/// text is dropped and a message left empty adds no turn.</description></item>
/// <item><term><c>max_completion_tokens</c> ?? <c>max_tokens</c></term><description><c>max_tokens</c>, else
/// <see cref="AnthropicRequestSettings.DefaultMaxTokens"/>.</description></item>
/// <item><term><c>temperature</c></term><description><c>temperature</c>; above 1 → 400 (Anthropic's range is 0–1;
/// clamping would silently change the sampling the client asked for).</description></item>
/// <item><term><c>top_p</c>, <c>stream</c></term><description>the same.</description></item>
/// <item><term><c>stop</c></term><description><c>stop_sequences</c> (a string becomes a one-item array).</description></item>
/// <item><term><c>user</c></term><description><c>metadata.user_id</c>.</description></item>
/// <item><term><c>tools</c></term><description><c>[{name, description, input_schema}]</c>; no <c>parameters</c> →
/// an empty object schema; non-function tools → 400.</description></item>
/// <item><term><c>tool_choice</c></term><description><c>auto</c> → auto, <c>required</c> → any, <c>none</c> → none,
/// a named function → <c>{type:"tool",name}</c>.</description></item>
/// <item><term><c>parallel_tool_calls: false</c></term><description><c>tool_choice.disable_parallel_tool_use</c>
/// (on <c>{type:"auto"}</c> when no choice was given). Both are left out when there are no tools.</description></item>
/// <item><term><c>n</c> &gt; 1</term><description>400: Anthropic answers one choice.</description></item>
/// <item><term><c>response_format</c> json_object / json_schema</term><description>400: Anthropic has no JSON mode
/// here, and dropping it would hand the client text it expects to parse; <c>text</c> is dropped.</description></item>
/// <item><term><c>functions</c>, <c>function_call</c>, <c>function</c> role, <c>audio</c>, audio <c>modalities</c></term>
/// <description>400 (legacy function calling, audio output).</description></item>
/// <item><term>everything else</term><description>dropped: <c>frequency_penalty</c>, <c>presence_penalty</c>,
/// <c>logit_bias</c>, <c>seed</c>, <c>logprobs</c>, <c>top_logprobs</c>, <c>stream_options</c> (Anthropic always
/// streams usage), <c>service_tier</c>, <c>store</c>, <c>metadata</c>, <c>prediction</c>, <c>reasoning_effort</c>,
/// message <c>name</c>s, … (Anthropic refuses fields it does not know).</description></item>
/// </list>
/// </remarks>
internal static class AnthropicRequestTranslator
{
    [ThreadStatic]
    private static Utf8JsonWriter? t_writer;

    /// <summary>Writes the Anthropic body into <paramref name="output"/>. Returns null on success, else the 400 to
    /// answer; after an error <paramref name="output"/> may hold part of a body and must be discarded.</summary>
    public static ApiError? Write(ReadOnlySpan<byte> openAiBody, IBufferWriter<byte> output, AnthropicRequestSettings settings)
    {
        JsonDocument document;
        try
        {
            var reader = new Utf8JsonReader(openAiBody);
            document = JsonDocument.ParseValue(ref reader);
        }
        catch (JsonException e)
        {
            return InputErrors.MalformedJson(e);
        }
        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return InputErrors.NotAnObject(root.ValueKind);
            }
            var error = OpenAIRequestFields.TryRead(root, out var fields) ?? CheckSampling(fields);
            if (error is not null)
            {
                return error;
            }
            var writer = t_writer ??= new Utf8JsonWriter(Stream.Null, JsonText.WriterOptions);
            writer.Reset(output);
            try
            {
                error = WriteBody(writer, fields, settings);
                if (error is null)
                {
                    writer.Flush();
                }
                return error;
            }
            finally
            {
                // Detach from the caller's output so the cached writer holds no reference to it.
                writer.Reset(Stream.Null);
            }
        }
    }

    private static ApiError? WriteBody(Utf8JsonWriter writer, in OpenAIRequestFields fields, AnthropicRequestSettings settings)
    {
        writer.WriteStartObject();
        writer.WritePropertyName("model"u8);
        writer.WriteRawValue(JsonText.Raw(fields.Model), skipInputValidation: true);
        var error = WriteMaxTokens(writer, fields, settings)
            ?? AnthropicMessagesWriter.WriteSystem(writer, fields.Messages, settings.StoredMessageCount)
            ?? AnthropicMessagesWriter.WriteMessages(writer, fields.Messages, settings.StoredMessageCount);
        if (error is not null)
        {
            return error;
        }
        CopyNumber(writer, "temperature"u8, fields.Temperature);
        CopyNumber(writer, "top_p"u8, fields.TopP);
        error = WriteStopSequences(writer, fields.Stop);
        if (error is not null)
        {
            return error;
        }
        if (fields.Stream.ValueKind == JsonValueKind.True)
        {
            writer.WriteBoolean("stream"u8, true);
        }
        if (fields.User.ValueKind == JsonValueKind.String && !JsonText.IsEmptyString(fields.User))
        {
            writer.WriteStartObject("metadata"u8);
            writer.WritePropertyName("user_id"u8);
            writer.WriteRawValue(JsonText.Raw(fields.User), skipInputValidation: true);
            writer.WriteEndObject();
        }
        error = AnthropicToolsWriter.Write(writer, fields.Tools, fields.ToolChoice, fields.ParallelToolCalls);
        if (error is not null)
        {
            return error;
        }
        writer.WriteEndObject();
        return null;
    }

    private static ApiError? WriteMaxTokens(Utf8JsonWriter writer, in OpenAIRequestFields fields, AnthropicRequestSettings settings)
    {
        var (name, value) = fields.MaxCompletionTokens.ValueKind is JsonValueKind.Undefined or JsonValueKind.Null
            ? ("max_tokens", fields.MaxTokens)
            : ("max_completion_tokens", fields.MaxCompletionTokens);
        long limit = settings.EffectiveMaxTokens;
        if (value.ValueKind is not (JsonValueKind.Undefined or JsonValueKind.Null))
        {
            if (value.ValueKind != JsonValueKind.Number || !value.TryGetInt64(out limit))
            {
                return InputErrors.WrongType(name, "an integer", value.ValueKind);
            }
            if (limit < 1)
            {
                return InputErrors.InvalidValue(name, $"Invalid '{name}': integer below minimum value. Expected a value >= 1, but got {limit} instead.");
            }
        }
        writer.WriteNumber("max_tokens"u8, limit);
        return null;
    }

    private static ApiError? CheckSampling(in OpenAIRequestFields fields)
        => CheckUnitInterval("temperature", fields.Temperature,
                "Anthropic models accept a temperature from 0 to 1 (OpenAI's range is 0 to 2); send a value between 0 and 1.")
            ?? CheckUnitInterval("top_p", fields.TopP, "Expected a value between 0 and 1.");

    private static ApiError? CheckUnitInterval(string name, JsonElement value, string advice)
    {
        if (value.ValueKind is JsonValueKind.Undefined or JsonValueKind.Null)
        {
            return null;
        }
        if (value.ValueKind != JsonValueKind.Number)
        {
            return InputErrors.WrongType(name, "a number", value.ValueKind);
        }
        var number = value.GetDouble();
        return number is >= 0 and <= 1
            ? null
            : InputErrors.InvalidValue(name, $"Invalid '{name}': {number.ToString(CultureInfo.InvariantCulture)}. {advice}");
    }

    private static void CopyNumber(Utf8JsonWriter writer, ReadOnlySpan<byte> name, JsonElement value)
    {
        if (value.ValueKind == JsonValueKind.Number)
        {
            writer.WritePropertyName(name);
            writer.WriteRawValue(JsonText.Raw(value), skipInputValidation: true);
        }
    }

    private static ApiError? WriteStopSequences(Utf8JsonWriter writer, JsonElement stop)
    {
        switch (stop.ValueKind)
        {
            case JsonValueKind.Undefined or JsonValueKind.Null:
                return null;
            case JsonValueKind.String:
                writer.WriteStartArray("stop_sequences"u8);
                writer.WriteRawValue(JsonText.Raw(stop), skipInputValidation: true);
                writer.WriteEndArray();
                return null;
            case JsonValueKind.Array:
                var index = 0;
                foreach (var sequence in stop.EnumerateArray())
                {
                    if (sequence.ValueKind != JsonValueKind.String)
                    {
                        return InputErrors.WrongType($"stop[{index}]", "a string", sequence.ValueKind);
                    }
                    index++;
                }
                if (index == 0)
                {
                    return null;
                }
                writer.WritePropertyName("stop_sequences"u8);
                writer.WriteRawValue(JsonText.Raw(stop), skipInputValidation: true);
                return null;
            default:
                return InputErrors.WrongType("stop", "a string or an array of strings", stop.ValueKind);
        }
    }
}
