namespace Parley.Silo.Providers.Anthropic;

/// <summary>Anthropic's <c>stop_reason</c> as OpenAI's <c>finish_reason</c>.</summary>
internal static class AnthropicStopReasons
{
    public const string Stop = "stop";
    public const string Length = "length";
    public const string ToolCalls = "tool_calls";
    public const string ContentFilter = "content_filter";

    /// <summary>Maps the stop reason's JSON string content: <c>end_turn</c>, <c>stop_sequence</c> and
    /// <c>pause_turn</c> (a server tool paused; the turn as it stands is complete) → stop; <c>max_tokens</c> and
    /// <c>model_context_window_exceeded</c> → length; <c>tool_use</c> → tool_calls; <c>refusal</c> → content_filter.
    /// A reason added later is a stop: the answer did end, and a client knows no other value.</summary>
    public static string ToFinishReason(ReadOnlySpan<byte> stopReason)
        => stopReason.SequenceEqual("max_tokens"u8) || stopReason.SequenceEqual("model_context_window_exceeded"u8) ? Length
            : stopReason.SequenceEqual("tool_use"u8) ? ToolCalls
            : stopReason.SequenceEqual("refusal"u8) ? ContentFilter
            : Stop;
}
