using Microsoft.Extensions.Logging;

namespace Parley.Runtime.Membership;

/// <summary>Membership log events (source-generated).</summary>
internal sealed partial class MembershipLog(ILogger logger)
{
    public void ViewChanged(int count, string silos) => LogViewChanged(logger, count, silos);
    public void StatusChanged(string siloId, SiloStatus status) => LogStatusChanged(logger, siloId, status);
    public void DeclaredDead(string siloId, DateTimeOffset iAmAlive) => LogDeclaredDead(logger, siloId, iAmAlive);
    public void JoinFailed(Exception exception) => LogJoinFailed(logger, exception);
    public void HeartbeatFailed(string siloId, Exception exception) => LogHeartbeatFailed(logger, siloId, exception);
    public void RefreshFailed(Exception exception) => LogRefreshFailed(logger, exception);
    public void Rejoining(string siloId, string reason) => LogRejoining(logger, siloId, reason);
    public void LeaveFailed(string siloId, SiloStatus status, Exception exception) => LogLeaveFailed(logger, siloId, status, exception);
    public void Unhealthy(string siloId, TimeSpan sinceRenewal) => LogUnhealthy(logger, siloId, sinceRenewal);

    [LoggerMessage(EventId = 1400, Level = LogLevel.Information, Message = "Cluster view changed: {Count} live silos ({Silos}).")]
    private static partial void LogViewChanged(ILogger logger, int count, string silos);

    [LoggerMessage(EventId = 1401, Level = LogLevel.Information, Message = "Silo {SiloId} is now {Status}.")]
    private static partial void LogStatusChanged(ILogger logger, string siloId, SiloStatus status);

    [LoggerMessage(EventId = 1402, Level = LogLevel.Warning, Message = "Declared silo {SiloId} dead: its last IAmAlive was {IAmAlive:O}.")]
    private static partial void LogDeclaredDead(ILogger logger, string siloId, DateTimeOffset iAmAlive);

    [LoggerMessage(EventId = 1403, Level = LogLevel.Warning, Message = "Joining the cluster failed; retrying.")]
    private static partial void LogJoinFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 1404, Level = LogLevel.Warning, Message = "Silo {SiloId} could not renew its membership row.")]
    private static partial void LogHeartbeatFailed(ILogger logger, string siloId, Exception exception);

    [LoggerMessage(EventId = 1405, Level = LogLevel.Warning, Message = "Reading the membership table failed.")]
    private static partial void LogRefreshFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 1406, Level = LogLevel.Warning, Message = "Silo {SiloId} joins again: {Reason}.")]
    private static partial void LogRejoining(ILogger logger, string siloId, string reason);

    [LoggerMessage(EventId = 1407, Level = LogLevel.Warning, Message = "Silo {SiloId} could not record status {Status} while leaving.")]
    private static partial void LogLeaveFailed(ILogger logger, string siloId, SiloStatus status, Exception exception);

    [LoggerMessage(EventId = 1408, Level = LogLevel.Error, Message = "Silo {SiloId} has not renewed its membership row for {SinceRenewal}: reporting unhealthy.")]
    private static partial void LogUnhealthy(ILogger logger, string siloId, TimeSpan sinceRenewal);
}
