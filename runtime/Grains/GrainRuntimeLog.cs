using Microsoft.Extensions.Logging;

namespace Parley.Runtime.Grains;

/// <summary>The grain runtime's log events (source-generated).</summary>
internal sealed partial class GrainRuntimeLog(ILogger<GrainCatalog> logger)
{
    public void ActivationFailed(GrainId grainId, Exception exception) => LogActivationFailed(logger, grainId.ToString(), exception);

    public void DeactivationFailed(GrainId grainId, DeactivationReasonCode reason, Exception exception)
        => LogDeactivationFailed(logger, grainId.ToString(), reason, exception);

    public void TimerFailed(GrainId grainId, Exception exception) => LogTimerFailed(logger, grainId.ToString(), exception);

    public void DisposeFailed(GrainId grainId, Exception exception) => LogDisposeFailed(logger, grainId.ToString(), exception);

    public void Collected(int count) => LogCollected(logger, count);

    public void ShutdownTimedOut(int remaining, TimeSpan timeout) => LogShutdownTimedOut(logger, remaining, timeout);

    public void ShutdownDeactivating(int count) => LogShutdownDeactivating(logger, count);

    [LoggerMessage(EventId = 1000, Level = LogLevel.Error, Message = "Activation of {GrainId} failed; the call fails and the next call retries.")]
    private static partial void LogActivationFailed(ILogger logger, string grainId, Exception exception);

    [LoggerMessage(EventId = 1001, Level = LogLevel.Error, Message = "OnDeactivateAsync of {GrainId} ({Reason}) failed.")]
    private static partial void LogDeactivationFailed(ILogger logger, string grainId, DeactivationReasonCode reason, Exception exception);

    [LoggerMessage(EventId = 1002, Level = LogLevel.Error, Message = "A timer callback of {GrainId} failed.")]
    private static partial void LogTimerFailed(ILogger logger, string grainId, Exception exception);

    [LoggerMessage(EventId = 1003, Level = LogLevel.Warning, Message = "Disposing the activation of {GrainId} failed.")]
    private static partial void LogDisposeFailed(ILogger logger, string grainId, Exception exception);

    [LoggerMessage(EventId = 1004, Level = LogLevel.Debug, Message = "Collected {Count} idle activations.")]
    private static partial void LogCollected(ILogger logger, int count);

    [LoggerMessage(EventId = 1005, Level = LogLevel.Warning, Message = "{Remaining} activations had not deactivated within {Timeout} at shutdown.")]
    private static partial void LogShutdownTimedOut(ILogger logger, int remaining, TimeSpan timeout);

    [LoggerMessage(EventId = 1006, Level = LogLevel.Information, Message = "Deactivating {Count} activations for shutdown.")]
    private static partial void LogShutdownDeactivating(ILogger logger, int count);
}
