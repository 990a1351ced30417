using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Parley.GrainInterfaces.Conversations;
using Parley.Grains.Conversations;
using Parley.Grains.Conversations.Lifecycle;
using Parley.Grains.Tests.Infrastructure;
using Orleans.Storage;
using Parley.Testing;

namespace Parley.Grains.Tests.Lifecycle;

/// <summary>The real conversation grain on an Orleans test cluster with a manual clock, and the lifecycle services as the
/// silo registers them; in memory, or on Redis (grain storage, transcripts, index and archive) when given a server. The
/// sweeper's own loop is not run, so each test drives <see cref="ConversationSweeper.SweepOnceAsync"/>.</summary>
public sealed class SweeperHost : IAsyncDisposable
{
    public const string UserId = "user_1";
    private readonly GrainCluster _cluster;

    private SweeperHost(GrainCluster cluster, ManualTimeProvider time)
    {
        _cluster = cluster;
        Time = time;
    }

    public ManualTimeProvider Time { get; }
    public ConversationSweeper Sweeper => _cluster.Get<ConversationSweeper>();
    public IConversationArchive Archive => _cluster.Get<IConversationArchive>();
    public IConversationActivityIndex Index => _cluster.Get<IConversationActivityIndex>();
    public IConversationGrain Grain(string id) => _cluster.Grains.GetGrain<IConversationGrain>(id);

    public static async Task<SweeperHost> CreateAsync(RedisServerFixture? redis = null)
    {
        var time = new ManualTimeProvider();
        var cluster = await GrainCluster.StartAsync(time, redis: redis, configure: static services =>
        {
            // The tests sweep by hand; the hosted loop would race them on the same clock.
            var loop = services.Single(d => d.ServiceType == typeof(IHostedService) && d.ImplementationFactory is not null
                && d.ImplementationFactory.Method.ReturnType == typeof(ConversationSweeper));
            services.Remove(loop);
        });
        return new SweeperHost(cluster, time);
    }

    public async Task CreateConversationAsync(string id)
    {
        var created = await Grain(id).CreateAsync(UserId, new Dictionary<string, string>(),
            [new NewConversationItem("user", [new ConversationContentPart(ConversationContentPart.InputText, "Hello " + id)])],
            ConversationSettings.None);
        Assert.NotNull(created);
    }

    /// <summary>Whether the grain's state is in the hot grain storage, read straight from the storage provider.</summary>
    public async Task<bool> IsHotAsync(string id)
    {
        var record = new GrainState<ConversationState>(new ConversationState());
        await _cluster.Services.GetRequiredKeyedService<IGrainStorage>(GrainStorage.Name)
            .ReadStateAsync(ConversationGrain.GrainTypeName, GrainId.Create(ConversationGrain.GrainTypeName, id), record);
        return record.RecordExists;
    }

    public ValueTask DisposeAsync() => _cluster.DisposeAsync();
}
