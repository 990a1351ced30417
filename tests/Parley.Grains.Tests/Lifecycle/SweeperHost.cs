using Microsoft.Extensions.DependencyInjection;
using Parley.GrainInterfaces.Conversations;
using Parley.Grains.Conversations;
using Parley.Grains.Conversations.Context;
using Parley.Grains.Conversations.Lifecycle;
using Parley.Grains.Conversations.Summaries;
using Parley.Runtime;
using Parley.Runtime.Hosting;
using Parley.Runtime.Storage;
using Parley.Testing;

namespace Parley.Grains.Tests.Lifecycle;

/// <summary>The real conversation grain on the grain runtime with a manual clock, and the lifecycle services as the
/// silo registers them; in memory, or on Redis (storage, index and archive) when given a server. The host is not
/// started, so the sweeper's own loop stays idle and each test drives <see cref="ConversationSweeper.SweepOnceAsync"/>.</summary>
public sealed class SweeperHost : IAsyncDisposable
{
    public const string UserId = "user_1";
    private readonly ServiceProvider _services;

    private SweeperHost(ServiceProvider services) => _services = services;

    public ManualTimeProvider Time => (ManualTimeProvider)_services.GetRequiredService<TimeProvider>();
    public ConversationSweeper Sweeper => _services.GetRequiredService<ConversationSweeper>();
    public IConversationArchive Archive => _services.GetRequiredService<IConversationArchive>();
    public IConversationActivityIndex Index => _services.GetRequiredService<IConversationActivityIndex>();
    public IConversationGrain Grain(string id) => _services.GetRequiredService<IGrainFactory>().GetGrain<IConversationGrain>(id);

    public static SweeperHost Create(RedisServerFixture? redis = null)
    {
        var services = new ServiceCollection()
            .AddLogging()
            .AddSingleton<TimeProvider>(new ManualTimeProvider())
            .AddGrainRuntime()
            .AddConversationGrain()
            .AddSingleton<IConversationSummarizer, UnusedSummarizer>();
        if (redis is null)
        {
            services.AddMemoryGrainStorage();
        }
        else
        {
            services.AddRedis(o =>
            {
                o.ConnectionString = redis.ConnectionString;
                o.KeyPrefix = "t" + Guid.NewGuid().ToString("N");
            }).AddRedisGrainStorage();
        }
        return new SweeperHost(services.BuildServiceProvider());
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
        await _services.GetRequiredKeyedService<IGrainStorage>(GrainStorageNames.Default)
            .ReadStateAsync("conversation", new GrainId("conversation", id), record);
        return record.RecordExists;
    }

    public ValueTask DisposeAsync() => _services.DisposeAsync();
}
