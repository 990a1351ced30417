namespace Parley.Silo.Providers.Anthropic;

/// <summary>What the request translation needs to know beyond the OpenAI body itself.</summary>
internal readonly record struct AnthropicRequestSettings
{
    /// <summary>Anthropic requires <c>max_tokens</c>; this is sent when the client set no reply limit.</summary>
    public const int FallbackMaxTokens = 4096;

    public AnthropicRequestSettings()
    {
    }

    /// <summary>The <c>max_tokens</c> sent when the body has neither <c>max_completion_tokens</c> nor <c>max_tokens</c>.
    /// Zero or less (as in <c>default(AnthropicRequestSettings)</c>) means <see cref="FallbackMaxTokens"/>.</summary>
    public int DefaultMaxTokens { get; init; } = FallbackMaxTokens;

    /// <summary>How many messages at the front of the body came from the stored conversation rather than the client.
    /// Errors name the client's own messages by the client's index (<c>messages[0]</c> is the client's first) and stored
    /// ones as <c>conversation.messages[i]</c>, so a <c>param</c> always points at something the client can find.</summary>
    public int StoredMessageCount { get; init; }

    internal int EffectiveMaxTokens => DefaultMaxTokens > 0 ? DefaultMaxTokens : FallbackMaxTokens;
}
