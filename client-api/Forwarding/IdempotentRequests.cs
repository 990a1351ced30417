using Microsoft.AspNetCore.Http;
using Parley.ClientApi.Routing;

namespace Parley.ClientApi.Forwarding;

/// <summary>Requests that are safe to send to a second silo after a first one took them: a conversation turn (a chat
/// completion naming its conversation) with an <c>Idempotency-Key</c>. The silos store a turn at most once per key and
/// answer a repeat with the stored turn, or wait for the attempt still running.</summary>
internal static class IdempotentRequests
{
    public const string KeyHeader = "Idempotency-Key";
    private const string ChatCompletionsPath = "/v1/chat/completions";

    /// <summary>Whether the request could be one (checked before the body is read: its conversation may be named there).</summary>
    public static bool MayBeIdempotent(HttpRequest request)
        => HttpMethods.IsPost(request.Method)
            && request.Path.Equals(ChatCompletionsPath, StringComparison.OrdinalIgnoreCase)
            && request.Headers[KeyHeader] is { Count: 1 } key && !string.IsNullOrWhiteSpace(key[0]);

    public static bool IsIdempotent(HttpContext context)
        => MayBeIdempotent(context.Request)
            && (RoutingKey.HasConversationOutsideBody(context.Request) || context.Features.Get<BodyRoutingKeyFeature>() is not null);
}
