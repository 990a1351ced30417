using Microsoft.Extensions.Logging;

namespace Parley.ClientApi.Membership;

internal static partial class MembershipLog
{
    [LoggerMessage(EventId = 400, Level = LogLevel.Information, Message = "Silos now: {Silos}.")]
    public static partial void SilosChanged(ILogger logger, string silos);

    [LoggerMessage(EventId = 401, Level = LogLevel.Warning, Message = "The Orleans cluster could not be asked for its silos; keeping the last known ones for up to {StaleAfter}.")]
    public static partial void QueryFailed(ILogger logger, TimeSpan staleAfter, Exception exception);

    [LoggerMessage(EventId = 402, Level = LogLevel.Warning, Message = "No answer from the Orleans cluster for {StaleAfter}; forgetting its silos.")]
    public static partial void MembershipStale(ILogger logger, TimeSpan staleAfter);

    [LoggerMessage(EventId = 403, Level = LogLevel.Information, Message = "The Orleans cluster answers again.")]
    public static partial void QueryRecovered(ILogger logger);

    [LoggerMessage(EventId = 410, Level = LogLevel.Information, Message = "Waiting for an Orleans gateway of cluster {ClusterId}, retrying every {Period}: {Reason}")]
    public static partial void WaitingForGateway(ILogger logger, string clusterId, string reason, TimeSpan period);

    [LoggerMessage(EventId = 411, Level = LogLevel.Information, Message = "Connected to the Orleans cluster {ClusterId} as a client.")]
    public static partial void Connected(ILogger logger, string clusterId);

    [LoggerMessage(EventId = 412, Level = LogLevel.Error, Message = "The Orleans client stopped trying to connect to cluster {ClusterId}.")]
    public static partial void ConnectFailed(ILogger logger, string clusterId, Exception exception);

    [LoggerMessage(EventId = 413, Level = LogLevel.Debug, Message = "Stopping the Orleans client failed.")]
    public static partial void StopFailed(ILogger logger, Exception exception);
}
