using System.Text.Json;

namespace Parley.Silo.Chat;

/// <summary>OpenAI's finish reasons as shared strings, so reading one off a stream allocates nothing; anything else is
/// <c>other</c> (a span attribute must not carry arbitrary upstream text).</summary>
internal static class FinishReasons
{
    public const string Stop = "stop";
    public const string Length = "length";
    public const string ToolCalls = "tool_calls";
    public const string ContentFilter = "content_filter";
    public const string FunctionCall = "function_call";
    public const string Other = "other";

    /// <summary>The reader is on a string value.</summary>
    public static string Read(ref Utf8JsonReader reader)
        => reader.ValueTextEquals("stop"u8) ? Stop
            : reader.ValueTextEquals("length"u8) ? Length
            : reader.ValueTextEquals("tool_calls"u8) ? ToolCalls
            : reader.ValueTextEquals("content_filter"u8) ? ContentFilter
            : reader.ValueTextEquals("function_call"u8) ? FunctionCall
            : Other;

    public static string? Of(string? reason) => reason switch
    {
        null => null,
        Stop => Stop,
        Length => Length,
        ToolCalls => ToolCalls,
        ContentFilter => ContentFilter,
        FunctionCall => FunctionCall,
        _ => Other,
    };
}
