using Microsoft.Extensions.Logging;
using Parley.ServiceDefaults.Logging;

namespace Parley.Silo.Quotas.Alerts;

/// <summary>Budget alert log lines. Neither the webhook URL (it may hold credentials) nor its secret is ever logged.</summary>
internal static partial class QuotaAlertLog
{
    [LoggerMessage(EventId = 2450, Level = LogLevel.Warning,
        Message = "Quota budget exhausted: {Scope} budget {Budget} of user {UserId} (key {KeyId}) reached {ThresholdPercent}% in {Period}: used {Used} of {Limit}")]
    public static partial void BudgetExhausted(ILogger logger, string scope, string budget, [PseudonymousId] string userId, [PseudonymousId] string? keyId, int thresholdPercent, string period, decimal used, decimal limit);

    [LoggerMessage(EventId = 2451, Level = LogLevel.Information,
        Message = "Quota budget threshold crossed: {Scope} budget {Budget} of user {UserId} (key {KeyId}) reached {ThresholdPercent}% in {Period}: used {Used} of {Limit}")]
    public static partial void ThresholdCrossed(ILogger logger, string scope, string budget, [PseudonymousId] string userId, [PseudonymousId] string? keyId, int thresholdPercent, string period, decimal used, decimal limit);

    [LoggerMessage(EventId = 2452, Level = LogLevel.Warning,
        Message = "Quota alert webhook queue is full ({Capacity}); dropped the webhook of {Budget} {ThresholdPercent}% for user {UserId} (already logged and counted)")]
    public static partial void QueueFullDropped(ILogger logger, int capacity, string budget, int thresholdPercent, [PseudonymousId] string userId);

    [LoggerMessage(EventId = 2453, Level = LogLevel.Debug, Message = "Quota alert webhook delivered for user {UserId} on attempt {Attempt} (status {StatusCode})")]
    public static partial void Delivered(ILogger logger, [PseudonymousId] string userId, int attempt, int statusCode);

    [LoggerMessage(EventId = 2454, Level = LogLevel.Information,
        Message = "Quota alert webhook attempt {Attempt} for user {UserId} failed ({Failure}); retrying in {Delay}")]
    public static partial void Retrying(ILogger logger, int attempt, [PseudonymousId] string userId, string failure, TimeSpan delay);

    [LoggerMessage(EventId = 2455, Level = LogLevel.Warning,
        Message = "Quota alert webhook for user {UserId} gave up after {Attempts} attempts ({Failure})")]
    public static partial void GaveUp(ILogger logger, [PseudonymousId] string userId, int attempts, string failure);

    [LoggerMessage(EventId = 2456, Level = LogLevel.Warning,
        Message = "Quota alert webhook for user {UserId} was refused with status {StatusCode}; not retried")]
    public static partial void Rejected(ILogger logger, [PseudonymousId] string userId, int statusCode);

    [LoggerMessage(EventId = 2457, Level = LogLevel.Warning,
        Message = "Quota alert webhook queue stopped with {Count} alerts undelivered (shutdown)")]
    public static partial void DroppedAtShutdown(ILogger logger, int count);

    [LoggerMessage(EventId = 2458, Level = LogLevel.Error, Message = "Quota alert webhook delivery failed unexpectedly for user {UserId}")]
    public static partial void DeliveryCrashed(ILogger logger, [PseudonymousId] string userId, Exception exception);

    [LoggerMessage(EventId = 2459, Level = LogLevel.Warning,
        Message = "Quota alert webhook of {Budget} {ThresholdPercent}% for user {UserId} not queued: shutting down (already logged and counted)")]
    public static partial void NotQueuedStopping(ILogger logger, string budget, int thresholdPercent, [PseudonymousId] string userId);
}
