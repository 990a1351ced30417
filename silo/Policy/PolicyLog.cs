using Microsoft.Extensions.Logging;

namespace Parley.Silo.Policy;

/// <summary>The policy's log lines: rule ids, actions and counts, never the matched text.</summary>
internal static partial class PolicyLog
{
    [LoggerMessage(1, LogLevel.Information, "Request {RequestId}: policy {Policy} rule {Rule} ({Action}) matched {Count} value(s) in the {Direction}.")]
    public static partial void Matched(ILogger logger, string requestId, string policy, string rule, string action, int count, string direction);

    [LoggerMessage(2, LogLevel.Warning, "Request {RequestId}: policy {Policy} rule {Rule} blocked the {Direction}.")]
    public static partial void Blocked(ILogger logger, string requestId, string policy, string rule, string direction);
}
