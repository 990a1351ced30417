using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Hosting;
using Orleans.Persistence;
using Orleans.Runtime.Hosting;
using Orleans.Serialization;
using Orleans.Serialization.Serializers;
using Parley.Grains.Conversations;
using Parley.Grains.Encryption;
using Parley.Grains.Quotas;
using Parley.Grains.Redis;

namespace Parley.Grains;

public static class GrainStorageSiloBuilderExtensions
{
    /// <summary>The storage beneath the encrypting one, registered under its own name; grains never name it.</summary>
    internal const string SealedName = GrainStorage.Name + "-sealed";

    /// <summary>The grain storage every Parley grain uses, <see cref="GrainStorage.Name"/>: Orleans' Redis grain storage
    /// over the process's shared connection when <paramref name="redis"/> (an <see cref="IRedisConnection"/> must be
    /// registered), else Orleans' memory storage, with <see cref="EncryptedGrainStorage"/> in front of either. The state
    /// is written by Orleans' System.Text.Json storage serializer with Parley's source-generated contracts first in its
    /// chain: snake_case JSON without type names, so a state survives its class being renamed or moved, and nothing is
    /// bound by reflection; then sealed by the process's <see cref="ContentCipher"/>.</summary>
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
        silo.Services.AddParleyEncryption();
        silo.Services.AddGrainStorage(GrainStorage.Name, static (sp, _) => new EncryptedGrainStorage(
            sp.GetRequiredKeyedService<IGrainStorage>(SealedName), sp.GetRequiredService<IGrainStorageSerializer>(),
            sp.GetRequiredService<ContentCipher>(), sp.GetRequiredService<IActivatorProvider>()));
        if (!redis)
        {
            return silo.AddMemoryGrainStorage(SealedName, static o => o.GrainStorageSerializer = new SealedStateSerializer());
        }
        return silo.AddRedisGrainStorage(SealedName, static options => options.Configure<IRedisConnection>(static (o, connection) =>
        {
            (o.ConfigurationOptions, o.CreateMultiplexer) = connection.ForOrleans<RedisStorageOptions>();
            o.GetStorageKey = (_, grainId) => GrainStorage.StateKey(connection, grainId);
            // A deleted grain leaves no key behind, and the transcript's append script can see that it is gone.
            o.DeleteStateOnClear = true;
            o.GrainStorageSerializer = new SealedStateSerializer();
        }));
    }
}
