using System.Text.Json;
using Parley.Grains.Conversations.Transcript;
using Parley.Tokenizer;
using Parley.Tokenizer.Chat;

namespace Parley.Grains.Conversations.Context;

/// <summary>Token counts of stored messages, counted once per encoding and kept with the message.</summary>
internal static class ConversationTokens
{
    /// <summary>Tokens <paramref name="messageJson"/> adds to a prompt under <paramref name="encoding"/>.</summary>
    public static int Of(TokenCounts counts, ReadOnlyMemory<byte> message, string encoding)
    {
        var o200k = IsO200k(encoding);
        var known = o200k ? counts.O200k : counts.Cl100k;
        if (known > 0)
        {
            return known;
        }
        var count = Count(message, encoding);
        if (o200k)
        {
            counts.O200k = count;
        }
        else
        {
            counts.Cl100k = count;
        }
        return count;
    }

    /// <summary>Counts one message object by the chat-format rules. A stored message is always valid JSON (it was
    /// validated on the way in), so the fallback only guards against a hand-edited store.</summary>
    public static int Count(ReadOnlyMemory<byte> message, string encoding)
    {
        try
        {
            using var document = JsonDocument.Parse(message);
            return ChatTokenCounter.ForEncoding(encoding).CountMessage(document.RootElement);
        }
        catch (Exception e) when (e is JsonException or ArgumentException)
        {
            return ChatTokenCounter.TokensPerMessage + message.Length;
        }
    }

    private static bool IsO200k(string encoding) => encoding.Equals(TiktokenEncoding.O200kBaseName, StringComparison.OrdinalIgnoreCase);
}
