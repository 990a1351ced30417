using Microsoft.AspNetCore.Http;
using Microsoft.Net.Http.Headers;

namespace Parley.ClientApi.Routing;

/// <summary>Which key a request is routed by, in order: the conversation id in the path, the conversation header, the
/// top-level <c>conversation</c> field of a small JSON body (found by <see cref="BodyRoutingKeyMiddleware"/>), the
/// caller's key (the Authorization value, hashed and never kept or logged), else the connection. The conversation
/// comes first so that every turn of one conversation reaches the silo that holds its grain hot.</summary>
public static class RoutingKey
{
    public const string ConversationHeader = "X-Parley-Conversation";
    private const string ConversationsPrefix = "/v1/conversations/";

    public static ulong HashOf(HttpContext context)
    {
        var request = context.Request;
        if (TryConversationHash(request, out var hash))
        {
            return hash;
        }
        if (context.Features.Get<BodyRoutingKeyFeature>() is { } body)
        {
            return body.Hash;
        }
        var authorization = request.Headers[HeaderNames.Authorization];
        if (authorization.Count > 0 && !string.IsNullOrWhiteSpace(authorization[0]))
        {
            return RoutingHash.Of(authorization[0].AsSpan().Trim());
        }
        return RoutingHash.Of(context.Connection.Id);
    }

    /// <summary>True when the path or the conversation header names the conversation (the body is then not read).</summary>
    public static bool HasConversationOutsideBody(HttpRequest request)
    {
        if (!ConversationIdFromPath(request.Path.Value).IsEmpty)
        {
            return true;
        }
        var header = request.Headers[ConversationHeader];
        return header.Count > 0 && !string.IsNullOrWhiteSpace(header[0]);
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

    private static bool TryConversationHash(HttpRequest request, out ulong hash)
    {
        var conversation = ConversationIdFromPath(request.Path.Value);
        if (!conversation.IsEmpty)
        {
            hash = RoutingHash.Of(conversation);
            return true;
        }
        var header = request.Headers[ConversationHeader];
        if (header.Count > 0 && !string.IsNullOrWhiteSpace(header[0]))
        {
            hash = RoutingHash.Of(header[0].AsSpan().Trim());
            return true;
        }
        hash = 0;
        return false;
    }
}
