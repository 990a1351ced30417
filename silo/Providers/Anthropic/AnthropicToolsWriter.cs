using System.Text.Json;
using Parley.Silo.Api;

namespace Parley.Silo.Providers.Anthropic;

/// <summary>Translates OpenAI's <c>tools</c>, <c>tool_choice</c> and <c>parallel_tool_calls</c>.</summary>
internal static class AnthropicToolsWriter
{
    // Anthropic requires an input schema; OpenAI lets a function without parameters omit it.
    private static ReadOnlySpan<byte> EmptyInputSchema => """{"type":"object","properties":{}}"""u8;

    /// <summary>Writes <c>tools</c> (each function's name, description and parameters as <c>input_schema</c>) and
    /// <c>tool_choice</c>. Without tools, <c>tool_choice</c> and <c>parallel_tool_calls</c> are left out: they only
    /// steer tool use, and Anthropic refuses a <c>tool_choice</c> without tools.</summary>
    public static ApiError? Write(Utf8JsonWriter writer, JsonElement tools, JsonElement toolChoice, JsonElement parallelToolCalls)
    {
        if (tools.ValueKind is JsonValueKind.Undefined or JsonValueKind.Null)
        {
            return ReadChoice(toolChoice, out _, out _);
        }
        if (tools.ValueKind != JsonValueKind.Array)
        {
            return InputErrors.WrongType("tools", "an array", tools.ValueKind);
        }
        var error = ReadChoice(toolChoice, out var choiceType, out var toolName);
        if (error is not null || tools.GetArrayLength() == 0)
        {
            return error;
        }
        writer.WriteStartArray("tools"u8);
        var index = 0;
        foreach (var tool in tools.EnumerateArray())
        {
            error = WriteTool(writer, tool, index++);
            if (error is not null)
            {
                return error;
            }
        }
        writer.WriteEndArray();
        var disableParallel = parallelToolCalls.ValueKind == JsonValueKind.False;
        if (choiceType is null && !disableParallel)
        {
            return null;
        }
        writer.WriteStartObject("tool_choice"u8);
        writer.WriteString("type"u8, choiceType ?? "auto");
        if (toolName.ValueKind == JsonValueKind.String)
        {
            writer.WritePropertyName("name"u8);
            writer.WriteRawValue(JsonText.Raw(toolName), skipInputValidation: true);
        }
        // Anthropic's "none" takes no options, and with no tool call there is nothing to run in parallel.
        if (disableParallel && choiceType != "none")
        {
            writer.WriteBoolean("disable_parallel_tool_use"u8, true);
        }
        writer.WriteEndObject();
        return null;
    }

    private static ApiError? WriteTool(Utf8JsonWriter writer, JsonElement tool, int index)
    {
        if (tool.ValueKind != JsonValueKind.Object)
        {
            return InputErrors.WrongType($"tools[{index}]", "an object", tool.ValueKind);
        }
        if (!tool.TryGetProperty("type"u8, out var type))
        {
            return InputErrors.Missing($"tools[{index}].type");
        }
        if (!type.ValueEquals("function"u8))
        {
            return RequestErrors.UnsupportedValue($"tools[{index}].type", $"Tools of type '{type}' are not supported for Anthropic models; only 'function'.");
        }
        if (!tool.TryGetProperty("function"u8, out var function) || function.ValueKind != JsonValueKind.Object)
        {
            return function.ValueKind == JsonValueKind.Undefined
                ? InputErrors.Missing($"tools[{index}].function")
                : InputErrors.WrongType($"tools[{index}].function", "an object", function.ValueKind);
        }
        if (!function.TryGetProperty("name"u8, out var name) || name.ValueKind != JsonValueKind.String)
        {
            return name.ValueKind == JsonValueKind.Undefined
                ? InputErrors.Missing($"tools[{index}].function.name")
                : InputErrors.WrongType($"tools[{index}].function.name", "a string", name.ValueKind);
        }
        function.TryGetProperty("description"u8, out var description);
        if (description.ValueKind is not (JsonValueKind.String or JsonValueKind.Null or JsonValueKind.Undefined))
        {
            return InputErrors.WrongType($"tools[{index}].function.description", "a string", description.ValueKind);
        }
        function.TryGetProperty("parameters"u8, out var parameters);
        if (parameters.ValueKind is not (JsonValueKind.Object or JsonValueKind.Null or JsonValueKind.Undefined))
        {
            return InputErrors.WrongType($"tools[{index}].function.parameters", "an object", parameters.ValueKind);
        }
        writer.WriteStartObject();
        writer.WritePropertyName("name"u8);
        writer.WriteRawValue(JsonText.Raw(name), skipInputValidation: true);
        if (description.ValueKind == JsonValueKind.String)
        {
            writer.WritePropertyName("description"u8);
            writer.WriteRawValue(JsonText.Raw(description), skipInputValidation: true);
        }
        writer.WritePropertyName("input_schema"u8);
        writer.WriteRawValue(parameters.ValueKind == JsonValueKind.Object ? JsonText.Raw(parameters) : EmptyInputSchema, skipInputValidation: true);
        writer.WriteEndObject();
        return null;
    }

    /// <summary>Reads <c>tool_choice</c> as Anthropic's choice type (null when absent) and, for a named function, the
    /// function's name.</summary>
    private static ApiError? ReadChoice(JsonElement toolChoice, out string? type, out JsonElement name)
    {
        type = null;
        name = default;
        switch (toolChoice.ValueKind)
        {
            case JsonValueKind.Undefined or JsonValueKind.Null:
                return null;
            case JsonValueKind.String:
                type = toolChoice.ValueEquals("auto"u8) ? "auto"
                    : toolChoice.ValueEquals("required"u8) ? "any"
                    : toolChoice.ValueEquals("none"u8) ? "none"
                    : null;
                return type is not null ? null : InputErrors.InvalidValue("tool_choice",
                    $"Invalid value: '{toolChoice.GetString()}'. Supported values are: 'none', 'auto' and 'required', or a named function.");
            case JsonValueKind.Object:
                if (!toolChoice.TryGetProperty("type"u8, out var choiceType) || !choiceType.ValueEquals("function"u8))
                {
                    return RequestErrors.UnsupportedValue("tool_choice.type", "Only a tool_choice of type 'function' (a named function) is supported for Anthropic models.");
                }
                if (!toolChoice.TryGetProperty("function"u8, out var function) || function.ValueKind != JsonValueKind.Object
                    || !function.TryGetProperty("name"u8, out name) || name.ValueKind != JsonValueKind.String)
                {
                    return InputErrors.Missing("tool_choice.function.name");
                }
                type = "tool";
                return null;
            default:
                return InputErrors.WrongType("tool_choice", "a string or an object", toolChoice.ValueKind);
        }
    }
}
