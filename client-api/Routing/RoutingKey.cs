using Microsoft.AspNetCore.Http;
using Microsoft.Net.Http.Headers;

namespace Parley.ClientApi.Routing;

/// <summary>Which key a request is routed by, in order: the conversation id in the path, the conversation header,
/// the caller's key (the Authorization value, hashed and never kept or logged), else the connection (any silo).
/// The conversation comes first so that every turn of one conversation reaches the silo that holds it hot.</summary>
public static class RoutingKey
{
    public const string ConversationHeader = "X-Parley-Conversation";
    private const string ConversationsPrefix = "/v1/conversations/";

    public static ulong HashOf(HttpContext context)
    {
        var request = context.Request;
        var conversation = ConversationIdFromPath(request.Path.Value);
        if (!conversation.IsEmpty)
        {
            return RoutingHash.Of(conversation);
        }
        var header = request.Headers[ConversationHeader];
        if (header.Count > 0 && !string.IsNullOrWhiteSpace(header[0]))
        {
            return RoutingHash.Of(header[0].AsSpan().Trim());
        }
        var authorization = request.Headers[HeaderNames.Authorization];
        if (authorization.Count > 0 && !string.IsNullOrWhiteSpace(authorization[0]))
        {
            return RoutingHash.Of(authorization[0].AsSpan().Trim());
        }
        return RoutingHash.Of(context.Connection.Id);
    }

    /// <summary>The <c>{id}</c> of <c>/v1/conversations/{id}</c> or <c>/v1/conversations/{id}/…</c>; empty otherwise.</summary>
    public static ReadOnlySpan<char> ConversationIdFromPath(string? path)
    {
        if (path is null || !path.StartsWith(ConversationsPrefix, StringComparison.OrdinalIgnoreCase))
        {
            return default;
        }
        var rest = path.AsSpan(ConversationsPrefix.Length);
        var slash = rest.IndexOf('/');
        return slash < 0 ? rest : rest[..slash];
    }
}
