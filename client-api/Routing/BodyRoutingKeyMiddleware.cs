using System.Buffers;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Parley.ClientApi.Forwarding;
using Parley.ClientApi.Hosting;

namespace Parley.ClientApi.Routing;

/// <summary>When neither the path nor the header names the conversation, reads a small JSON body (at most
/// <see cref="FrontEndOptions.RoutingBodyPeekBytes"/>) to find its top-level <c>conversation</c> field. The bytes
/// read are kept and sent to the silo first, so the body reaches it unchanged, and because the whole body is then
/// held it can be replayed to another silo. A body that does not fit (its Content-Length says so, or it is still
/// going when the limit is reached) is routed by the next key and streams through as read so far plus the rest.
/// A request with an <c>Idempotency-Key</c> is held the same way even when the path or header names its conversation:
/// the silo answers a repeat of it from what the first attempt stored, so the held body lets it go to the next silo
/// even after a silo took it and died before answering.</summary>
internal sealed class BodyRoutingKeyMiddleware(RequestDelegate next, IOptions<FrontEndOptions> options, ILogger<BodyRoutingKeyMiddleware> logger)
{
    // A first read for a body of unknown length; grown up to the limit only if the body keeps coming.
    private const int UnknownLengthFirstBuffer = 16 * 1024;
    private readonly int _limit = options.Value.RoutingBodyPeekBytes;

    public Task InvokeAsync(HttpContext context)
        => ShouldPeek(context.Request) ? PeekThenForwardAsync(context) : next(context);

    private bool ShouldPeek(HttpRequest request)
    {
        if (_limit == 0 || !(HttpMethods.IsPost(request.Method) || HttpMethods.IsPut(request.Method) || HttpMethods.IsPatch(request.Method)))
        {
            return false;
        }
        if (request.ContentLength is { } length && (length == 0 || length > _limit))
        {
            return false;
        }
        if (request.HttpContext.Features.Get<IHttpRequestBodyDetectionFeature>() is { CanHaveBody: false })
        {
            return false;
        }
        return IsJson(request.ContentType) && (!RoutingKey.HasConversationOutsideBody(request) || IdempotentRequests.MayBeIdempotent(request));
    }

    private static bool IsJson(string? contentType)
        => contentType is not null
            && (contentType.StartsWith("application/json", StringComparison.OrdinalIgnoreCase)
                || contentType.Contains("+json", StringComparison.OrdinalIgnoreCase));

    private async Task PeekThenForwardAsync(HttpContext context)
    {
        var request = context.Request;
        var expected = request.ContentLength;
        var buffer = ArrayPool<byte>.Shared.Rent(expected is { } n ? (int)n : Math.Min(_limit, UnknownLengthFirstBuffer));
        try
        {
            var filled = 0;
            bool whole;
            try
            {
                while (true)
                {
                    var room = Math.Min(buffer.Length, _limit) - filled;
                    if (room == 0)
                    {
                        if (buffer.Length >= _limit)
                        {
                            // Still going at the limit: too large to route by its body.
                            whole = false;
                            break;
                        }
                        var larger = ArrayPool<byte>.Shared.Rent(Math.Min(_limit, buffer.Length * 2));
                        buffer.AsSpan(0, filled).CopyTo(larger);
                        ArrayPool<byte>.Shared.Return(buffer);
                        buffer = larger;
                        continue;
                    }
                    var read = await request.Body.ReadAsync(buffer.AsMemory(filled, room), context.RequestAborted);
                    filled += read;
                    // The end of the body, or its Content-Length reached (complete without one more read).
                    if (read == 0 || filled == expected)
                    {
                        whole = true;
                        break;
                    }
                }
            }
            catch (Exception ex) when (context.RequestAborted.IsCancellationRequested && ex is OperationCanceledException or IOException)
            {
                // The client went away while sending; there is nobody to answer.
                RoutingLog.ClientAbortedDuringPeek(logger, request.Method, request.Path.Value ?? "/");
                return;
            }
            if (whole && ConversationField.TryHash(buffer.AsSpan(0, filled), out var hash))
            {
                context.Features.Set(new BodyRoutingKeyFeature(hash));
            }
            request.Body = new RetryableRequestBody(request.Body, buffer.AsMemory(0, filled), whole);
            await next(context);
        }
        finally
        {
            // The forwarder is done with the body when the pipeline returns (it waits for its body copy to end).
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
