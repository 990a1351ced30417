using System.Text.Json.Serialization.Metadata;
using Microsoft.Extensions.DependencyInjection;

namespace Parley.Runtime.Hosting;

// PUBLIC SURFACE ONLY: bodies are being implemented (runtime helper). Signatures are the contract other code uses.
public static class RuntimeServiceCollectionExtensions
{
    /// <summary>Grain factory, activation directory, idle collector and shutdown deactivation.</summary>
    public static IServiceCollection AddGrainRuntime(this IServiceCollection services, Action<GrainRuntimeOptions>? configure = null)
        => throw new NotImplementedException();

    /// <summary>Registers a grain class for its interface. <paramref name="collectionAge"/> overrides the default idle age.</summary>
    public static IServiceCollection AddGrain<TGrainInterface, TGrain>(this IServiceCollection services, TimeSpan? collectionAge = null)
        where TGrainInterface : IGrainWithStringKey
        where TGrain : Grain, TGrainInterface
        => throw new NotImplementedException();

    /// <summary>Adds a System.Text.Json source-generated resolver used to (de)serialise grain state.</summary>
    public static IServiceCollection AddGrainStateJson(this IServiceCollection services, IJsonTypeInfoResolver resolver)
        => throw new NotImplementedException();

    public static IServiceCollection AddMemoryGrainStorage(this IServiceCollection services, string name = GrainStorageNames.Default)
        => throw new NotImplementedException();

    /// <summary>Redis grain storage; requires <see cref="AddRedis"/>.</summary>
    public static IServiceCollection AddRedisGrainStorage(this IServiceCollection services, string name = GrainStorageNames.Default)
        => throw new NotImplementedException();

    /// <summary>One shared <c>ConnectionMultiplexer</c> (exposed as <see cref="Redis.IRedisConnection"/>).</summary>
    public static IServiceCollection AddRedis(this IServiceCollection services, Action<RedisOptions> configure)
        => throw new NotImplementedException();

    public static IServiceCollection AddInMemoryMembershipTable(this IServiceCollection services)
        => throw new NotImplementedException();

    /// <summary>Redis membership table; requires <see cref="AddRedis"/>.</summary>
    public static IServiceCollection AddRedisMembershipTable(this IServiceCollection services)
        => throw new NotImplementedException();

    /// <summary>The silo's membership agent (join, IAmAlive heartbeats, graceful leave) plus
    /// <see cref="Membership.IClusterMembership"/> and <see cref="Membership.ILocalSiloMembership"/>.</summary>
    public static IServiceCollection AddSiloMembership(this IServiceCollection services, Action<MembershipOptions>? configure = null)
        => throw new NotImplementedException();

    /// <summary>A read-only view of the live silos (for the front end), as <see cref="Membership.IClusterMembership"/>.</summary>
    public static IServiceCollection AddMembershipReader(this IServiceCollection services, Action<MembershipOptions>? configure = null)
        => throw new NotImplementedException();
}
