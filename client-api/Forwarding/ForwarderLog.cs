using Microsoft.Extensions.Logging;
using Yarp.ReverseProxy.Forwarder;

namespace Parley.ClientApi.Forwarding;

// Paths are logged, never headers or bodies: Authorization and keys must not reach the logs.
internal static partial class ForwarderLog
{
    [LoggerMessage(EventId = 200, Level = LogLevel.Debug, Message = "No silo known to forward {Method} {Path} to; answering 503.")]
    public static partial void NoSilo(ILogger logger, string method, string path);

    [LoggerMessage(EventId = 201, Level = LogLevel.Warning, Message = "Silo {Silo} failed {Method} {Path} before answering ({Error}); trying the next silo (attempt {Attempt}).")]
    public static partial void Retrying(ILogger logger, string silo, string method, string path, ForwarderError error, int attempt, Exception? exception);

    [LoggerMessage(EventId = 202, Level = LogLevel.Warning, Message = "Forwarding {Method} {Path} failed after {Attempts} attempt(s) ({Error}); answering {Status}.")]
    public static partial void Failed(ILogger logger, string method, string path, int attempts, ForwarderError error, int status, Exception? exception);
}
