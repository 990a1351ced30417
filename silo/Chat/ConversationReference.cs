using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;
using Parley.Silo.Api;
using Parley.Silo.Conversations;

namespace Parley.Silo.Chat;

/// <summary>Finds the conversation a chat completion continues: the body field <c>conversation</c> (a string or
/// <c>{"id": "..."}</c>, as OpenAI's Responses API accepts) or, for SDKs that cannot add body fields, the header
/// <c>X-Parley-Conversation</c>.</summary>
internal static class ConversationReference
{
    public const string HeaderName = "X-Parley-Conversation";
    public const string ResponseHeaderName = "x-parley-conversation";
    public const string BodyField = "conversation";

    /// <summary>Reads the body field (already found by the validator) or the header. Returns false with an error when
    /// one is present but malformed; true with a null id when the request names no conversation.</summary>
    public static bool TryResolve(JsonElement? bodyField, IHeaderDictionary headers, out string? conversationId, out ApiError? error)
    {
        conversationId = null;
        error = null;
        string? candidate;
        string source = BodyField;
        if (bodyField is { } field && field.ValueKind != JsonValueKind.Null)
        {
            if (field.ValueKind == JsonValueKind.String)
            {
                candidate = field.GetString();
            }
            else if (field.ValueKind == JsonValueKind.Object && field.TryGetProperty("id"u8, out var id) && id.ValueKind == JsonValueKind.String)
            {
                candidate = id.GetString();
            }
            else
            {
                error = ChatErrors.InvalidConversationId(BodyField, "Invalid 'conversation': expected a conversation id string or an object with a string 'id'.");
                return false;
            }
        }
        else if (headers.TryGetValue(HeaderName, out var header) && !StringValues.IsNullOrEmpty(header))
        {
            if (header.Count != 1)
            {
                error = ChatErrors.InvalidConversationId(HeaderName, $"Send at most one {HeaderName} header.");
                return false;
            }
            candidate = header[0];
            source = HeaderName;
        }
        else
        {
            return true;
        }
        // Checked before any grain is addressed, so a malformed id never creates an activation.
        if (!ConversationIds.IsValid(candidate))
        {
            error = ChatErrors.InvalidConversationId(source, ConversationIds.InvalidIdMessage(candidate));
            return false;
        }
        conversationId = candidate;
        return true;
    }
}
