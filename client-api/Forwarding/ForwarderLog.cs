using Microsoft.Extensions.Logging;

namespace Parley.ClientApi.Forwarding;

// Paths are logged, never headers: Authorization and keys must not reach the logs.
internal static partial class ForwarderLog
{
    [LoggerMessage(EventId = 1, Level = LogLevel.Debug, Message = "Forwarding {Method} {Path} to silo {Silo} (attempt {Attempt}).")]
    public static partial void Forwarding(ILogger logger, string method, string path, string silo, int attempt);

    [LoggerMessage(EventId = 2, Level = LogLevel.Warning, Message = "Silo {Silo} refused {Method} {Path} before the request was sent; trying the next silo.")]
    public static partial void SiloRefused(ILogger logger, string silo, string method, string path, Exception exception);

    [LoggerMessage(EventId = 3, Level = LogLevel.Warning, Message = "No live silo to forward {Method} {Path} to.")]
    public static partial void NoLiveSilo(ILogger logger, string method, string path);

    [LoggerMessage(EventId = 4, Level = LogLevel.Warning, Message = "Forwarding {Method} {Path} failed after {Attempts} attempt(s); answering 502.")]
    public static partial void ForwardFailed(ILogger logger, string method, string path, int attempts, Exception exception);

    [LoggerMessage(EventId = 5, Level = LogLevel.Debug, Message = "The client aborted {Method} {Path}; the silo call was cancelled.")]
    public static partial void ClientAborted(ILogger logger, string method, string path);

    [LoggerMessage(EventId = 6, Level = LogLevel.Warning, Message = "Silo {Silo} failed while streaming the response to {Method} {Path}; the client connection is aborted.")]
    public static partial void ResponseStreamFailed(ILogger logger, string silo, string method, string path, Exception exception);
}
