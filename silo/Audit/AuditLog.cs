using Microsoft.Extensions.Logging;

namespace Parley.Silo.Audit;

internal static partial class AuditLog
{
    [LoggerMessage(EventId = 9001, Level = LogLevel.Warning, Message = "The audit store is unavailable; {Records} records spooled to disk and replayed when it is back")]
    public static partial void StoreDown(ILogger logger, int records, Exception exception);

    [LoggerMessage(EventId = 9002, Level = LogLevel.Information, Message = "The audit store is back; the spool was replayed")]
    public static partial void Replayed(ILogger logger);

    [LoggerMessage(EventId = 9003, Level = LogLevel.Warning, Message = "Skipped a torn line in audit spool {File} (a crash during its append)")]
    public static partial void SpoolLineSkipped(ILogger logger, string file);

    [LoggerMessage(EventId = 9004, Level = LogLevel.Information, Message = "Adopted audit spool {File} ({Bytes} bytes) of a silo that is gone")]
    public static partial void SpoolAdopted(ILogger logger, string file, long bytes);

    [LoggerMessage(EventId = 9005, Level = LogLevel.Information, Message = "Audit retention deleted {Records} records older than {Days} days")]
    public static partial void RetentionApplied(ILogger logger, long records, int days);

    [LoggerMessage(EventId = 9006, Level = LogLevel.Warning, Message = "Audit retention failed; it runs again later")]
    public static partial void RetentionFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 9007, Level = LogLevel.Information, Message = "Audit trail: {Store} store at {Location}, chain {Chain}")]
    public static partial void Started(ILogger logger, string store, string location, string chain);

    [LoggerMessage(EventId = 9008, Level = LogLevel.Critical, Message = "An audit record could not be queued or spooled (the queue is full and the spool cannot be written); it is lost")]
    public static partial void SpillFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 9009, Level = LogLevel.Warning, Message = "Shutdown did not wait for the audit writer to drain; {Queued} records were still queued")]
    public static partial void StopTimedOut(ILogger logger, int queued);
}
