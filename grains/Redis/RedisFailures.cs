using StackExchange.Redis;

namespace Parley.Grains.Redis;

/// <summary>What "Redis is unreachable" looks like to a caller: the policies that keep serving without it (fail-open
/// quotas, unpaced calls, best-effort indexes) all recognise it the same way.</summary>
public static class RedisFailures
{
    public static bool IsUnavailable(Exception exception)
        => exception is RedisException or TimeoutException or ObjectDisposedException;
}
