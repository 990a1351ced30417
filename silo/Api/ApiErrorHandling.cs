using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Parley.Silo.Cluster;
using Parley.ServiceDefaults.Logging;

namespace Parley.Silo.Api;

/// <summary>Makes the answers no endpoint wrote itself OpenAI-shaped too: an unknown route or method; a grain call that
/// failed because the cluster is changing (a silo died or is leaving, its grains are moving) or Redis did not answer,
/// which is 503 with <c>Retry-After</c>; and any other unexpected exception (a 500 with a generic message, never a
/// stack trace or an HTML page). Input the client broke (see <see cref="ClientFaults"/>) is a 4xx here, whichever
/// endpoint or middleware met it.</summary>
public static partial class ApiErrorHandling
{
    public static WebApplication UseParleyErrors(this WebApplication app)
    {
        app.UseExceptionHandler(new ExceptionHandlerOptions
        {
            // Every exception the handler below answers is logged by it, once, at the level its answer calls for (a
            // client's fault or a cluster change is not an error; a stack trace goes through the secrets' redaction):
            // the middleware's own unredacted Error line for each would only repeat it.
            SuppressDiagnosticsCallback = static _ => true,
            ExceptionHandler = static context =>
            {
                var exception = context.Features.Get<IExceptionHandlerFeature>()?.Error;
                var logger = context.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(ApiErrorHandling));
                if (ClientFaults.Classify(exception) is { } clientFault)
                {
                    // Hostile or broken input that escaped an endpoint's own checks: the client's fault, never a 500,
                    // and logged without a stack trace (it says nothing about the server).
                    LogClientFault(logger, context.Request.Method, context.Request.Path.Value ?? "", exception!.GetType().Name, clientFault.Status);
                    return clientFault.WriteAsync(context);
                }
                if (exception is not null && ClusterFaults.IsTransient(exception))
                {
                    LogClusterUnavailable(logger, context.Request.Method, context.Request.Path.Value ?? "", exception.GetType().Name, exception.Message);
                    context.Response.Headers.RetryAfter = "1";
                    return ApiErrors.WriteAsync(context, StatusCodes.Status503ServiceUnavailable,
                        "The cluster is briefly unavailable while a silo leaves or joins; retry the request.", OpenAIErrorTypes.Server, "cluster_unavailable");
                }
                if (Unreadable(exception) is { } unreadable)
                {
                    // Stored data this silo cannot decrypt (a key missing from its ring, or a value altered in storage):
                    // an operator's matter, named in the log; the client learns only that the data cannot be read.
                    LogStoredDataUnreadable(logger, context.Request.Method, context.Request.Path.Value ?? "", unreadable.Message);
                    return ApiErrors.WriteAsync(context, StatusCodes.Status500InternalServerError,
                        "Stored data needed for this request could not be decrypted; an operator must check the encryption keys.",
                        OpenAIErrorTypes.Server, "stored_data_unreadable");
                }
                LogUnhandled(logger, context.Request.Method, context.Request.Path.Value ?? "", RedactedException.Of(exception));
                return ApiErrors.WriteAsync(context, StatusCodes.Status500InternalServerError,
                    "The server had an error while processing your request.", OpenAIErrorTypes.Server, "internal_error");
            },
        });
        app.UseStatusCodePages(static statusContext =>
        {
            var context = statusContext.HttpContext;
            var status = context.Response.StatusCode;
            var request = context.Request;
            return status switch
            {
                StatusCodes.Status404NotFound => ApiErrors.WriteAsync(context, status,
                    $"Unknown request URL: {request.Method} {request.Path}. Please check the URL for typos.", OpenAIErrorTypes.InvalidRequest, "unknown_url"),
                StatusCodes.Status405MethodNotAllowed => ApiErrors.WriteAsync(context, status,
                    $"Method {request.Method} is not allowed for {request.Path}.", OpenAIErrorTypes.InvalidRequest, "method_not_allowed"),
                StatusCodes.Status415UnsupportedMediaType => ApiErrors.WriteAsync(context, status,
                    "Unsupported Content-Type; send application/json.", OpenAIErrorTypes.InvalidRequest, "unsupported_media_type"),
                >= 500 => ApiErrors.WriteAsync(context, status, "The server had an error while processing your request.", OpenAIErrorTypes.Server),
                _ => ApiErrors.WriteAsync(context, status, $"The request failed with HTTP {status}.", OpenAIErrorTypes.InvalidRequest),
            };
        });
        return app;
    }

    private static Grains.Encryption.StoredDataUnreadableException? Unreadable(Exception? exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            if (e is Grains.Encryption.StoredDataUnreadableException unreadable)
            {
                return unreadable;
            }
        }
        return null;
    }

    [LoggerMessage(4, LogLevel.Error, "{Method} {Path} answered 500: {Reason}")]
    private static partial void LogStoredDataUnreadable(ILogger logger, string method, string path, string reason);

    [LoggerMessage(2, LogLevel.Warning, "{Method} {Path} answered 503: the cluster was unavailable ({Fault}: {Reason}).")]
    private static partial void LogClusterUnavailable(ILogger logger, string method, string path, string fault, string reason);

    [LoggerMessage(3, LogLevel.Information, "{Method} {Path} answered {Status}: the request could not be read ({Fault}).")]
    private static partial void LogClientFault(ILogger logger, string method, string path, string fault, int status);

    [LoggerMessage(1, LogLevel.Error, "Unhandled exception for {Method} {Path}.")]
    private static partial void LogUnhandled(ILogger logger, string method, string path, Exception? exception);
}
