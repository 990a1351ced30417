using Parley.Grains.Redis;
using StackExchange.Redis;

namespace Parley.Grains;

/// <summary>The one grain storage every Parley grain persists to: Orleans' Redis grain storage in a cluster, its
/// memory storage embedded.</summary>
public static class GrainStorage
{
    public const string Name = "parley";

    /// <summary>The Redis key of a grain's state: <c>{prefix:&lt;grain type&gt;/&lt;key&gt;}:state</c>. The braces make
    /// the grain's own hash tag, so every other key of the grain (a conversation's transcript and archive copy) can
    /// live in the same Redis Cluster slot and be changed by one script.</summary>
    public static RedisKey StateKey(IRedisConnection connection, GrainId grainId)
        => connection.Key(HashTag(grainId.Type.ToString()!, grainId.Key.ToString()!), "state");

    /// <summary>The hash tag of one grain's keys.</summary>
    public static string HashTag(string grainType, string key) => string.Concat(grainType, "/", key);
}
