using System.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Logging;
using Parley.Silo.Auth;

namespace Parley.Silo.Audit;

/// <summary>Leaves exactly one audit record per request to the public (<c>/v1</c>) and admin (<c>/admin</c>) API. It runs
/// outside the error handling, so the record has the status the client got, 500s included; it emits when the handler
/// returns, which for a stream is after its last byte, and for a client that left is with status 499. The record goes
/// to <see cref="AuditSink"/> (no I/O on this path).</summary>
internal sealed class AuditMiddleware(RequestDelegate next, AuditSink sink, TimeProvider timeProvider, ILogger<AuditMiddleware> logger)
{
    /// <summary>nginx's status for a client that closed the connection before the answer was complete.</summary>
    public const int ClientClosedRequest = 499;

    public async Task InvokeAsync(HttpContext context)
    {
        var path = context.Request.Path;
        if (!path.StartsWithSegments("/v1", StringComparison.Ordinal) && !path.StartsWithSegments("/admin", StringComparison.Ordinal))
        {
            await next(context);
            return;
        }
        var time = timeProvider.GetUtcNow();
        var started = Stopwatch.GetTimestamp();
        var feature = new AuditFeature();
        context.Features.Set(feature);
        try
        {
            await next(context);
        }
        finally
        {
            try
            {
                sink.Append(Build(context, feature, time, started));
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Only a spill to a spool that cannot be written (disk full, permissions) throws: the request is not
                // failed for it; the failure is loud in the log.
                AuditLog.SpillFailed(logger, e);
            }
        }
    }

    /// <summary>The id the answer carried (chat completions resolve one), else the client's own if sane, else ASP.NET Core's.</summary>
    private static string RequestId(HttpContext context)
    {
        if (context.Response.Headers[Api.RequestIds.HeaderName].ToString() is { Length: > 0 } answered)
        {
            return answered;
        }
        var sent = context.Request.Headers[Api.RequestIds.HeaderName].ToString();
        return Api.RequestIds.IsAcceptable(sent) ? sent : context.TraceIdentifier;
    }

    private static AuditRecord Build(HttpContext context, AuditFeature feature, DateTimeOffset time, long started)
    {
        var caller = context.Features.Get<Caller>() ?? feature.Caller;
        var endpoint = context.GetEndpoint() as RouteEndpoint;
        var aborted = feature.ClientLeft || context.RequestAborted.IsCancellationRequested;
        var conversation = feature.ConversationId;
        if (conversation is null && context.Request.RouteValues.TryGetValue("conversationId", out var routed) && routed is string id)
        {
            conversation = id;
        }
        return new AuditRecord
        {
            TimeUs = (time.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) / TimeSpan.TicksPerMicrosecond,
            RequestId = RequestId(context),
            UserId = caller?.UserId ?? "",
            KeyId = caller is null ? "" : caller.KeyId.Length > 0 ? caller.KeyId : "jwt:" + caller.UserId,
            Method = context.Request.Method,
            Route = endpoint?.RoutePattern.RawText is { } template ? (template.StartsWith('/') ? template : "/" + template) : "(unmatched)",
            Model = feature.Model,
            Deployment = feature.Deployment,
            PromptTokens = feature.PromptTokens,
            CompletionTokens = feature.CompletionTokens,
            CostMicros = feature.CostMicros,
            Status = aborted ? ClientClosedRequest : context.Response.StatusCode,
            ErrorCode = feature.ErrorCode,
            LatencyUs = (long)Stopwatch.GetElapsedTime(started).TotalMicroseconds,
            ConversationId = conversation,
            Replay = feature.Replay,
            Policy = feature.Policy,
            Excerpt = feature.Excerpt,
        };
    }
}
