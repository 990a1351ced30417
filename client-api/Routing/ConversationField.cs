using System.Buffers;
using System.Text.Json;

namespace Parley.ClientApi.Routing;

/// <summary>Finds the conversation a JSON request body names in its top-level <c>conversation</c> field: a string
/// (<c>"conversation":"conv_…"</c>) or an object with an <c>id</c> (<c>"conversation":{"id":"conv_…"}</c>, as
/// OpenAI's Responses API has it). A forward-only scan of the tokens, stopping at the field; nested values are
/// skipped over, never materialised.</summary>
public static class ConversationField
{
    private static ReadOnlySpan<byte> Conversation => "conversation"u8;
    private static ReadOnlySpan<byte> Id => "id"u8;

    /// <summary>True with the hash of the conversation id (as <see cref="RoutingHash.Of"/> hashes the same text) when
    /// <paramref name="json"/>, a whole body, names one; false for anything else, malformed JSON included (the silo
    /// answers that with its own 400).</summary>
    public static bool TryHash(ReadOnlySpan<byte> json, out ulong hash)
    {
        hash = 0;
        var reader = new Utf8JsonReader(json, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Skip });
        try
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return false;
            }
            while (reader.Read())
            {
                if (reader.TokenType == JsonTokenType.EndObject)
                {
                    return false;
                }
                // Only property names at depth 1 reach here: every value is read or skipped below.
                var isConversation = reader.ValueTextEquals(Conversation);
                reader.Read();
                if (!isConversation)
                {
                    reader.Skip();
                    continue;
                }
                if (reader.TokenType == JsonTokenType.String)
                {
                    return TryHashString(ref reader, out hash);
                }
                if (reader.TokenType == JsonTokenType.StartObject)
                {
                    return TryHashIdOf(ref reader, out hash);
                }
                return false;
            }
            return false;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    private static bool TryHashIdOf(ref Utf8JsonReader reader, out ulong hash)
    {
        hash = 0;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var isId = reader.ValueTextEquals(Id);
            reader.Read();
            if (isId)
            {
                return reader.TokenType == JsonTokenType.String && TryHashString(ref reader, out hash);
            }
            reader.Skip();
        }
        return false;
    }

    private static bool TryHashString(ref Utf8JsonReader reader, out ulong hash)
    {
        hash = 0;
        if (!reader.ValueIsEscaped)
        {
            if (reader.ValueSpan.IsEmpty)
            {
                return false;
            }
            hash = RoutingHash.OfUtf8(reader.ValueSpan);
            return true;
        }
        // Unescaped text is never longer than its escaped form.
        var rented = ArrayPool<byte>.Shared.Rent(reader.ValueSpan.Length);
        try
        {
            var length = reader.CopyString(rented);
            if (length == 0)
            {
                return false;
            }
            hash = RoutingHash.OfUtf8(rented.AsSpan(0, length));
            return true;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }
}
