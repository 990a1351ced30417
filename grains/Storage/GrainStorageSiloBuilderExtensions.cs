using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Hosting;
using Orleans.Persistence;
using Orleans.Serialization;
using Parley.Grains.Conversations;
using Parley.Grains.Quotas;
using Parley.Grains.Redis;

namespace Parley.Grains;

public static class GrainStorageSiloBuilderExtensions
{
    /// <summary>The grain storage every Parley grain uses, <see cref="GrainStorage.Name"/>: Orleans' Redis grain storage
    /// over the process's shared connection when <paramref name="redis"/> (an <see cref="IRedisConnection"/> must be
    /// registered), else Orleans' memory storage. Either way the state is written by Orleans' System.Text.Json storage
    /// serializer with Parley's source-generated contracts first in its chain: snake_case JSON without type names, so a
    /// state survives its class being renamed or moved, and nothing is bound by reflection.</summary>
    public static ISiloBuilder AddParleyGrainStorage(this ISiloBuilder silo, bool redis)
    {
        silo.UseSystemTextJsonGrainStorageSerializer();
        silo.Services.Configure<SystemTextJsonGrainStorageSerializerOptions>(static o =>
        {
            var json = o.JsonSerializerOptions;
            json.PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower;
            json.TypeInfoResolverChain.Insert(0, ConversationStateJsonContext.Default);
            json.TypeInfoResolverChain.Insert(0, UserQuotaStateJsonContext.Default);
            json.TypeInfoResolverChain.Insert(0, Policy.PolicyAssignmentStateJsonContext.Default);
            json.TypeInfoResolverChain.Insert(0, Batches.BatchStateJsonContext.Default);
            json.TypeInfoResolverChain.Insert(0, Documents.DocumentJobStateJsonContext.Default);
        });
        if (!redis)
        {
            return silo.AddMemoryGrainStorage(GrainStorage.Name);
        }
        return silo.AddRedisGrainStorage(GrainStorage.Name, static options => options.Configure<IRedisConnection>(static (o, connection) =>
        {
            (o.ConfigurationOptions, o.CreateMultiplexer) = connection.ForOrleans<RedisStorageOptions>();
            o.GetStorageKey = (_, grainId) => GrainStorage.StateKey(connection, grainId);
            // A deleted grain leaves no key behind, and the transcript's append script can see that it is gone.
            o.DeleteStateOnClear = true;
        }));
    }
}
