using System.Net;
using Microsoft.Extensions.Logging;
using Parley.ServiceDefaults.Logging;

namespace Parley.Silo.Auth.Sessions;

/// <summary>What the admin sign-in logs. Never a key: only key ids and client addresses.</summary>
internal static partial class AdminSessionLog
{
    [LoggerMessage(EventId = 2201, Level = LogLevel.Information, Message = "Admin key {KeyId} signed in from {Client}")]
    public static partial void SignedIn(ILogger logger, [PseudonymousId] string keyId, [PersonalData] IPAddress? client);

    [LoggerMessage(EventId = 2202, Level = LogLevel.Warning, Message = "Sign-in refused from {Client}: not an admin key ({Failures} wrong in the current window)")]
    public static partial void SignInRefused(ILogger logger, [PersonalData] IPAddress? client, int failures);

    [LoggerMessage(EventId = 2203, Level = LogLevel.Warning, Message = "Sign-in from {Client} throttled for {RetryAfter} after too many wrong keys")]
    public static partial void SignInThrottled(ILogger logger, [PersonalData] IPAddress? client, TimeSpan retryAfter);

    [LoggerMessage(EventId = 2204, Level = LogLevel.Information, Message = "Rejected {Path}: the form's antiforgery token is missing or invalid")]
    public static partial void AntiforgeryRejected(ILogger logger, string path);

    [LoggerMessage(EventId = 2205, Level = LogLevel.Information, Message = "Admin session of key {KeyId} signed out")]
    public static partial void SignedOut(ILogger logger, [PseudonymousId] string keyId);

    [LoggerMessage(EventId = 2206, Level = LogLevel.Information, Message = "Admin session of key {KeyId} ended: the key no longer works")]
    public static partial void SessionEnded(ILogger logger, [PseudonymousId] string keyId);

    [LoggerMessage(EventId = 2207, Level = LogLevel.Warning, Message = "Could not re-check the admin session of key {KeyId}; keeping it until the store answers")]
    public static partial void SessionCheckFailed(ILogger logger, [PseudonymousId] string keyId, Exception exception);

    [LoggerMessage(EventId = 2208, Level = LogLevel.Error, Message = "The identity store failed while checking an admin key")]
    public static partial void StoreFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 2209, Level = LogLevel.Debug, Message = "Rejected {Path}: {Reason}")]
    public static partial void Rejected(ILogger logger, string path, string reason);

    [LoggerMessage(EventId = 2210, Level = LogLevel.Warning, Message = "Could not make sure the cluster shares one data protection key; a silo will create its own on first use")]
    public static partial void KeyRingBootstrapFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 2211, Level = LogLevel.Information, Message = "Created the cluster's data protection key {KeyId} (session cookies and sign-in forms)")]
    public static partial void KeyRingCreated(ILogger logger, Guid keyId);
}
