using System.Text.Json;

namespace Parley.Tokenizer.Chat;

/// <summary>
/// The prompt token count OpenAI reports (<c>usage.prompt_tokens</c>) for a chat request of plain-text messages.
/// </summary>
/// <remarks>
/// The rule, from OpenAI's cookbook "How to count tokens with tiktoken"
/// (https://cookbook.openai.com/examples/how_to_count_tokens_with_tiktoken, <c>num_tokens_from_messages</c>), for
/// gpt-3.5-turbo-0613 and later, gpt-4, gpt-4o, gpt-4o-mini (and, by the same chat format, the later o200k models):
/// <list type="bullet">
/// <item>every message costs <see cref="TokensPerMessage"/> = 3 tokens of framing
///   (<c>&lt;|start|&gt;</c>, the separator and <c>&lt;|end|&gt;</c>);</item>
/// <item>plus the tokens of the text of each of its fields: role, content and name;</item>
/// <item>a name costs <see cref="TokensPerName"/> = 1 more token;</item>
/// <item>every reply is primed with <c>&lt;|start|&gt;assistant&lt;|message|&gt;</c>: <see cref="ReplyPrimingTokens"/>
///   = 3 tokens once per request.</item>
/// </list>
/// The cookbook's example conversation counts 129 tokens for gpt-4 / gpt-3.5-turbo and 124 for gpt-4o, the numbers
/// the API reported; the tests reproduce both. Tool definitions, tool calls and images follow other rules and are not
/// counted here.
/// </remarks>
public sealed class ChatTokenCounter
{
    public const int TokensPerMessage = 3;
    public const int TokensPerName = 1;
    public const int ReplyPrimingTokens = 3;

    public ChatTokenCounter(TiktokenEncoding encoding)
    {
        ArgumentNullException.ThrowIfNull(encoding);
        Encoding = encoding;
    }

    public TiktokenEncoding Encoding { get; }

    private static readonly Lazy<ChatTokenCounter> s_o200k = new(() => new ChatTokenCounter(TiktokenEncoding.Get(TiktokenEncoding.O200kBaseName)));
    private static readonly Lazy<ChatTokenCounter> s_cl100k = new(() => new ChatTokenCounter(TiktokenEncoding.Get(TiktokenEncoding.Cl100kBaseName)));

    /// <summary>A counter for <paramref name="model"/>'s encoding, or null if the model's encoding is unknown.</summary>
    public static ChatTokenCounter? ForModel(string? model) =>
        ModelEncodings.GetEncodingName(model) is { } name ? ForEncoding(name) : null;

    /// <summary>The shared counter of a supported encoding (it holds no per-call state).</summary>
    /// <exception cref="ArgumentException">The encoding is not supported.</exception>
    public static ChatTokenCounter ForEncoding(string encodingName) => encodingName switch
    {
        _ when encodingName.Equals(TiktokenEncoding.O200kBaseName, StringComparison.OrdinalIgnoreCase) => s_o200k.Value,
        _ when encodingName.Equals(TiktokenEncoding.Cl100kBaseName, StringComparison.OrdinalIgnoreCase) => s_cl100k.Value,
        _ => throw new ArgumentException($"Unknown encoding '{encodingName}'.", nameof(encodingName)),
    };

    /// <summary>Tokens one message adds to a prompt (framing included, reply priming not).</summary>
    public int CountMessage(in ChatMessage message)
    {
        ArgumentNullException.ThrowIfNull(message.Role);
        var tokens = TokensPerMessage + Encoding.CountTokens(message.Role) + Encoding.CountTokens(message.Content);
        if (message.Name is not null)
        {
            tokens += Encoding.CountTokens(message.Name) + TokensPerName;
        }

        return tokens;
    }

    /// <summary>The prompt tokens of a request made of <paramref name="messages"/>, reply priming included.</summary>
    public int CountPrompt(ReadOnlySpan<ChatMessage> messages)
    {
        var tokens = ReplyPrimingTokens;
        foreach (ref readonly var message in messages)
        {
            tokens += CountMessage(message);
        }

        return tokens;
    }

    /// <summary>
    /// The prompt tokens of a chat request's <c>messages</c> JSON array, reply priming included. Content may be a
    /// string, null, or an array of parts whose <c>text</c> parts are counted as one concatenated text.
    /// </summary>
    /// <exception cref="ArgumentException">The element is not an array of message objects with a string role.</exception>
    public int CountPrompt(JsonElement messages)
    {
        if (messages.ValueKind != JsonValueKind.Array)
        {
            throw new ArgumentException("messages must be a JSON array.", nameof(messages));
        }

        var tokens = ReplyPrimingTokens;
        var buffer = new PooledCharBuffer();
        try
        {
            foreach (var message in messages.EnumerateArray())
            {
                tokens += CountMessage(message, ref buffer);
            }
        }
        finally
        {
            buffer.Dispose();
        }

        return tokens;
    }

    /// <summary>Tokens one message object adds to a prompt (framing included, reply priming not), by the rules of
    /// <see cref="CountPrompt(JsonElement)"/>.</summary>
    /// <exception cref="ArgumentException">The element is not a message object with a string role.</exception>
    public int CountMessage(JsonElement message)
    {
        var buffer = new PooledCharBuffer();
        try
        {
            return CountMessage(message, ref buffer);
        }
        finally
        {
            buffer.Dispose();
        }
    }

    private int CountMessage(JsonElement message, ref PooledCharBuffer buffer)
    {
        if (message.ValueKind != JsonValueKind.Object
            || !message.TryGetProperty("role"u8, out var role) || role.ValueKind != JsonValueKind.String)
        {
            throw new ArgumentException("Every message must be an object with a string role.", nameof(message));
        }

        var tokens = TokensPerMessage + CountString(role, ref buffer);
        if (message.TryGetProperty("name"u8, out var name) && name.ValueKind == JsonValueKind.String)
        {
            tokens += CountString(name, ref buffer) + TokensPerName;
        }

        if (message.TryGetProperty("content"u8, out var content))
        {
            tokens += CountContent(content, ref buffer);
        }

        return tokens;
    }

    private int CountContent(JsonElement content, ref PooledCharBuffer buffer)
    {
        switch (content.ValueKind)
        {
            case JsonValueKind.String:
                return CountString(content, ref buffer);
            case JsonValueKind.Array:
                buffer.Clear();
                foreach (var part in content.EnumerateArray())
                {
                    if (part.ValueKind == JsonValueKind.Object
                        && part.TryGetProperty("type"u8, out var type) && type.ValueKind == JsonValueKind.String && type.ValueEquals("text"u8)
                        && part.TryGetProperty("text"u8, out var text) && text.ValueKind == JsonValueKind.String)
                    {
                        buffer.AppendJsonString(text);
                    }
                }

                return Encoding.CountTokens(buffer.Written);
            default:
                return 0; // null content (e.g. an assistant turn that only called tools) has no text
        }
    }

    private int CountString(JsonElement value, ref PooledCharBuffer buffer)
    {
        buffer.Clear();
        buffer.AppendJsonString(value);
        return Encoding.CountTokens(buffer.Written);
    }
}
