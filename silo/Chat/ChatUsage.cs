using System.Text.Json;

namespace Parley.Silo.Chat;

/// <summary>Token usage reported by the upstream for one completion (quotas reconcile against it later).</summary>
public readonly record struct ChatUsage(int PromptTokens, int CompletionTokens, int TotalTokens)
{
    /// <summary>Reads one field of an OpenAI <c>usage</c> object, if it is one of the three counted here. The reader is
    /// on the field's name; on return it is on the value.</summary>
    internal static ChatUsage ReadField(ref Utf8JsonReader reader, ChatUsage usage)
    {
        var field = reader.ValueTextEquals("prompt_tokens"u8) ? 1
            : reader.ValueTextEquals("completion_tokens"u8) ? 2
            : reader.ValueTextEquals("total_tokens"u8) ? 3
            : 0;
        if (!reader.Read())
        {
            return usage;
        }
        if (field == 0 || reader.TokenType != JsonTokenType.Number || !reader.TryGetInt32(out var value))
        {
            return usage;
        }
        return field switch
        {
            1 => usage with { PromptTokens = value },
            2 => usage with { CompletionTokens = value },
            _ => usage with { TotalTokens = value },
        };
    }
}

/// <summary>What the endpoint did, for its log line, quota reconciliation and telemetry.</summary>
/// <param name="FinishReason">Choice 0's finish reason as the upstream reported it (one of <see cref="FinishReasons"/>).</param>
public readonly record struct ChatCompletionResult(int Status, ChatUsage? Usage, bool Streamed, bool Truncated, string? FinishReason = null);
