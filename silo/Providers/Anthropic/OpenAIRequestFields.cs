using System.Text.Json;
using Parley.Silo.Api;

namespace Parley.Silo.Providers.Anthropic;

/// <summary>The top-level fields of an OpenAI chat completions body that have an Anthropic counterpart (each
/// <see cref="JsonValueKind.Undefined"/> when absent), after refusing those that would change the answer if dropped.
/// A field named twice keeps its last value, as most JSON readers do.</summary>
internal struct OpenAIRequestFields
{
    public JsonElement Model;
    public JsonElement Messages;
    public JsonElement MaxCompletionTokens;
    public JsonElement MaxTokens;
    public JsonElement Temperature;
    public JsonElement TopP;
    public JsonElement Stop;
    public JsonElement Stream;
    public JsonElement User;
    public JsonElement Tools;
    public JsonElement ToolChoice;
    public JsonElement ParallelToolCalls;

    public static ApiError? TryRead(JsonElement root, out OpenAIRequestFields fields)
    {
        fields = default;
        foreach (var property in root.EnumerateObject())
        {
            var value = property.Value;
            if (property.NameEquals("model"u8)) fields.Model = value;
            else if (property.NameEquals("messages"u8)) fields.Messages = value;
            else if (property.NameEquals("max_completion_tokens"u8)) fields.MaxCompletionTokens = value;
            else if (property.NameEquals("max_tokens"u8)) fields.MaxTokens = value;
            else if (property.NameEquals("temperature"u8)) fields.Temperature = value;
            else if (property.NameEquals("top_p"u8)) fields.TopP = value;
            else if (property.NameEquals("stop"u8)) fields.Stop = value;
            else if (property.NameEquals("stream"u8)) fields.Stream = value;
            else if (property.NameEquals("user"u8)) fields.User = value;
            else if (property.NameEquals("tools"u8)) fields.Tools = value;
            else if (property.NameEquals("tool_choice"u8)) fields.ToolChoice = value;
            else if (property.NameEquals("parallel_tool_calls"u8)) fields.ParallelToolCalls = value;
            else if (RefuseUnsupported(property) is { } error) return error;
        }
        if (fields.Model.ValueKind != JsonValueKind.String)
        {
            return fields.Model.ValueKind == JsonValueKind.Undefined ? InputErrors.Missing("model") : InputErrors.WrongType("model", "a string", fields.Model.ValueKind);
        }
        if (fields.Messages.ValueKind != JsonValueKind.Array)
        {
            return fields.Messages.ValueKind == JsonValueKind.Undefined ? InputErrors.Missing("messages") : InputErrors.WrongType("messages", "an array", fields.Messages.ValueKind);
        }
        return null;
    }

    /// <summary>The fields without an Anthropic counterpart that cannot be dropped without giving the client
    /// something else than it asked for; every other field is dropped.</summary>
    private static ApiError? RefuseUnsupported(JsonProperty property)
    {
        var value = property.Value;
        if (value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }
        if (property.NameEquals("n"u8))
        {
            return value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out var n) && n == 1
                ? null
                : RequestErrors.UnsupportedValue("n", "Anthropic models return one choice per request; 'n' must be 1.");
        }
        if (property.NameEquals("response_format"u8))
        {
            if (value.ValueKind != JsonValueKind.Object)
            {
                return InputErrors.WrongType("response_format", "an object", value.ValueKind);
            }
            return value.TryGetProperty("type"u8, out var type) && type.ValueEquals("text"u8)
                ? null
                : RequestErrors.UnsupportedValue("response_format",
                    $"'response_format' of type '{(type.ValueKind == JsonValueKind.String ? type.GetString() : type.ToString())}' is not supported for Anthropic models; only 'text'. Describe the format in the prompt, or ask for it through a tool.");
        }
        if (property.NameEquals("functions"u8) || property.NameEquals("function_call"u8))
        {
            return RequestErrors.UnsupportedParameter(property.Name,
                $"The legacy '{property.Name}' is not supported for Anthropic models; send 'tools' and 'tool_choice' instead.");
        }
        if (property.NameEquals("audio"u8) || (property.NameEquals("modalities"u8) && Contains(value, "audio"u8)))
        {
            return RequestErrors.UnsupportedParameter(property.Name, "Audio output is not supported for Anthropic models.");
        }
        return null;
    }

    private static bool Contains(JsonElement array, ReadOnlySpan<byte> text)
    {
        if (array.ValueKind != JsonValueKind.Array)
        {
            return false;
        }
        foreach (var item in array.EnumerateArray())
        {
            if (item.ValueKind == JsonValueKind.String && item.ValueEquals(text))
            {
                return true;
            }
        }
        return false;
    }
}
