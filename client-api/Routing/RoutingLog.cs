using Microsoft.Extensions.Logging;

namespace Parley.ClientApi.Routing;

// Paths are logged, never headers or bodies: Authorization and keys must not reach the logs.
internal static partial class RoutingLog
{
    [LoggerMessage(EventId = 100, Level = LogLevel.Debug, Message = "The client aborted {Method} {Path} while its body was being read for routing.")]
    public static partial void ClientAbortedDuringPeek(ILogger logger, string method, string path);
}
