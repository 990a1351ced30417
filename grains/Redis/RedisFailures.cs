using StackExchange.Redis;

namespace Parley.Grains.Redis;

/// <summary>What "Redis is unreachable" looks like to a caller, and whether a failed command may still have taken
/// effect. Best-effort users (indexes, caches) only ask <see cref="IsUnavailable"/>. Decisions that must happen exactly
/// once (quota admissions, pacing starts) tell the two kinds apart: only a command that provably never ran
/// (<see cref="NeverApplied"/>) may be followed by a second decision elsewhere (fail-open in process, an unpaced
/// call); a command that was sent and not answered (a slow Redis, a connection lost mid-command, a caller that stopped
/// waiting) may have run, and its outcome is unknown (<see cref="OutcomeUnknown"/>).</summary>
public static class RedisFailures
{
    public static bool IsUnavailable(Exception exception)
        => exception is RedisException or TimeoutException or ObjectDisposedException;

    /// <summary>The command certainly did not run: it never left this process (no connection, or still in the backlog
    /// when it gave up), the multiplexer was disposed, or Redis refused it before running it.</summary>
    public static bool NeverApplied(Exception exception) => exception switch
    {
        RedisConnectionException e => NotSent(e.CommandStatus),
        RedisTimeoutException e => NotSent(e.Commandstatus),
        RedisServerException e => IsRefusalBeforeRunning(e.Kind),
        ObjectDisposedException => true,
        _ => false,
    };

    /// <summary>A Redis failure after which the command may or may not have run (sent, then no answer in time or the
    /// connection failed); also the caller's own timeout while it waited.</summary>
    public static bool OutcomeUnknown(Exception exception) => IsUnavailable(exception) && !NeverApplied(exception);

    /// <summary>Throws, without sending anything, when the server that owns <paramref name="key"/> is not connected. A
    /// command issued then would wait in the multiplexer's backlog until its timeout or a reconnect, and could run after
    /// its caller had already decided without it; refusing it here makes an outage a failure that provably never ran.</summary>
    /// <exception cref="RedisConnectionException">With <see cref="CommandStatus.WaitingToBeSent"/>.</exception>
    public static void ThrowIfNotConnected(IDatabase database, RedisKey key)
    {
        if (!database.IsConnected(key))
        {
            throw new RedisConnectionException(ConnectionFailureType.UnableToConnect, CommandFlags.None,
                "Redis is not connected; the command was not sent.", null, CommandStatus.WaitingToBeSent);
        }
    }

    private static bool NotSent(CommandStatus status) => status is CommandStatus.WaitingToBeSent or CommandStatus.WaitingInBacklog;

    // Refusals Redis answers before running a command: it is loading, busy with a long script, has no reachable master,
    // is a replica, is out of memory, has too many clients, or (Redis Cluster) cannot serve the slot right now.
    private static bool IsRefusalBeforeRunning(RedisErrorKind kind) => kind is RedisErrorKind.Loading or RedisErrorKind.Busy
        or RedisErrorKind.MasterDown or RedisErrorKind.ReadOnly or RedisErrorKind.OutOfMemory or RedisErrorKind.MaxClients
        or RedisErrorKind.ClusterDown or RedisErrorKind.TryAgain or RedisErrorKind.NoScript;
}
