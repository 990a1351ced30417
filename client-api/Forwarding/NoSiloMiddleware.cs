using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Yarp.ReverseProxy.Model;

namespace Parley.ClientApi.Forwarding;

/// <summary>With no silo known at all (the cluster is empty or not reached yet) the request is answered here with an
/// OpenAI-shaped 503 <c>no_silo_available</c> and <c>Retry-After: 1</c>, instead of YARP's bare 503.</summary>
internal sealed class NoSiloMiddleware(RequestDelegate next, ILogger<NoSiloMiddleware> logger)
{
    public Task InvokeAsync(HttpContext context)
    {
        if (context.GetReverseProxyFeature().AllDestinations.Count > 0)
        {
            return next(context);
        }
        ForwarderLog.NoSilo(logger, context.Request.Method, context.Request.Path.Value ?? "/");
        return FrontEndErrors.WriteAsync(context, StatusCodes.Status503ServiceUnavailable,
            "No Parley silo is available to serve the request. Retry shortly.", FrontEndErrors.NoSiloAvailableCode, retryAfterSeconds: 1);
    }
}
