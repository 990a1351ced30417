using System.Text.Json;

namespace Parley.Silo.Providers.Anthropic;

/// <summary>Anthropic's token counts. OpenAI's <c>prompt_tokens</c> counts every input token, so Anthropic's cache
/// writes and cache reads (reported apart from <c>input_tokens</c>) are added back in.</summary>
internal struct AnthropicUsage
{
    public long InputTokens;
    public long CacheCreationInputTokens;
    public long CacheReadInputTokens;
    public long OutputTokens;

    public readonly long PromptTokens => InputTokens + CacheCreationInputTokens + CacheReadInputTokens;

    /// <summary>Reads a <c>usage</c> object (the reader on its StartObject; left on its EndObject). Only the counts it
    /// carries change: a streamed <c>message_delta</c> reports the output tokens and may repeat the input ones.</summary>
    public void Read(ref Utf8JsonReader reader)
    {
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var field = reader.ValueTextEquals("input_tokens"u8) ? Field.Input
                : reader.ValueTextEquals("cache_creation_input_tokens"u8) ? Field.CacheCreation
                : reader.ValueTextEquals("cache_read_input_tokens"u8) ? Field.CacheRead
                : reader.ValueTextEquals("output_tokens"u8) ? Field.Output
                : Field.None;
            reader.Read();
            // Cache counts are null when caching was not involved; nested details (server tool use) are skipped.
            if (field == Field.None || reader.TokenType != JsonTokenType.Number || !reader.TryGetInt64(out var value))
            {
                reader.Skip();
                continue;
            }
            switch (field)
            {
                case Field.Input:
                    InputTokens = value;
                    break;
                case Field.CacheCreation:
                    CacheCreationInputTokens = value;
                    break;
                case Field.CacheRead:
                    CacheReadInputTokens = value;
                    break;
                default:
                    OutputTokens = value;
                    break;
            }
        }
    }

    /// <summary>Writes OpenAI's <c>usage</c> object.</summary>
    public readonly void Write(Utf8JsonWriter writer)
    {
        writer.WriteStartObject("usage"u8);
        writer.WriteNumber("prompt_tokens"u8, PromptTokens);
        writer.WriteNumber("completion_tokens"u8, OutputTokens);
        writer.WriteNumber("total_tokens"u8, PromptTokens + OutputTokens);
        writer.WriteEndObject();
    }

    private enum Field
    {
        None,
        Input,
        CacheCreation,
        CacheRead,
        Output,
    }
}
