using Orleans.Persistence.Redis;
using Orleans.Runtime.Messaging;
using StackExchange.Redis;

namespace Parley.Silo.Cluster;

/// <summary>What a grain call that failed because of the cluster, not the request, looks like: the target silo died or
/// is leaving (its messages are rejected, its connection refused or cut), the call timed out, or the store behind a
/// grain did not answer. Such a call is retried where repeating it is safe, and otherwise answered 503 with
/// <c>Retry-After</c>, never 500.</summary>
public static class ClusterFaults
{
    public static bool IsTransient(Exception exception) => exception switch
    {
        OrleansMessageRejectionException or ConnectionFailedException or GatewayTooBusyException or TimeoutException => true,
        RedisException or RedisStorageException => true,
        OrleansException { InnerException: { } inner } => IsTransient(inner),
        _ => false,
    };
}
