using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Parley.Grains.Conversations.Lifecycle;
using Parley.Grains.Redis;

namespace Parley.Grains.Tests.Lifecycle;

public sealed class LifecycleOptionsTests
{
    private static ValidateOptionsResult Validate(Action<ConversationLifecycleOptions> change)
    {
        var options = new ConversationLifecycleOptions();
        change(options);
        return new ConversationLifecycleOptionsValidator().Validate(null, options);
    }

    [Fact]
    public void The_defaults_are_seven_days_hot_thirty_days_archived_swept_hourly_and_valid()
    {
        var options = new ConversationLifecycleOptions();
        Assert.Equal(TimeSpan.FromDays(7), options.HotRetention);
        Assert.Equal(TimeSpan.FromDays(30), options.ArchiveRetention);
        Assert.Equal(TimeSpan.FromHours(1), options.SweepInterval);
        Assert.Equal(500, options.SweepBatchSize);
        Assert.Equal(TimeSpan.FromHours(1), options.SweepLease);
        Assert.True(new ConversationLifecycleOptionsValidator().Validate(null, options).Succeeded);
    }

    public static TheoryData<string, Action<ConversationLifecycleOptions>> InvalidChanges => new()
    {
        { "HotRetention", o => o.HotRetention = TimeSpan.Zero },
        { "HotRetention", o => o.HotRetention = TimeSpan.FromDays(-1) },
        { "HotRetention", o => o.HotRetention = TimeSpan.FromDays(3651) },
        { "ArchiveRetention", o => o.ArchiveRetention = TimeSpan.Zero },
        { "ArchiveRetention", o => o.ArchiveRetention = TimeSpan.FromDays(3651) },
        { "SweepInterval", o => o.SweepInterval = TimeSpan.FromMilliseconds(999) },
        { "SweepInterval", o => o.SweepInterval = TimeSpan.FromDays(2) },
        { "SweepBatchSize", o => o.SweepBatchSize = 0 },
        { "SweepBatchSize", o => o.SweepBatchSize = 100_001 },
        { "SweepLease", o => o.SweepLease = TimeSpan.Zero },
        { "SweepLease", o => o.SweepLease = TimeSpan.FromDays(2) },
    };

    [Theory]
    [MemberData(nameof(InvalidChanges))]
    public void Out_of_range_values_are_rejected_by_name(string property, Action<ConversationLifecycleOptions> change)
    {
        var result = Validate(change);
        Assert.True(result.Failed);
        Assert.Contains($"Parley:Conversations:Lifecycle:{property}", result.FailureMessage, StringComparison.Ordinal);
    }

    [Fact]
    public void The_section_is_bound_and_the_callback_runs_after_it()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Parley:Conversations:Lifecycle:HotRetention"] = "2.00:00:00",
            ["Parley:Conversations:Lifecycle:SweepBatchSize"] = "50",
        }).Build();
        using var services = new ServiceCollection()
            .AddSingleton<IConfiguration>(configuration)
            .AddConversationLifecycle(o => o.SweepBatchSize = 70)
            .BuildServiceProvider();

        var options = services.GetRequiredService<IOptions<ConversationLifecycleOptions>>().Value;
        Assert.Equal(TimeSpan.FromDays(2), options.HotRetention);
        Assert.Equal(70, options.SweepBatchSize);
        Assert.Equal(ConversationLifecycleOptions.DefaultArchiveRetention, options.ArchiveRetention);
    }

    [Fact]
    public async Task An_invalid_value_stops_the_host_from_starting()
    {
        var builder = new HostApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration["Parley:Conversations:Lifecycle:SweepBatchSize"] = "0";
        builder.Services.WithGrainFactory().AddConversationLifecycle();
        using var host = builder.Build();

        var ex = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());
        Assert.Contains("SweepBatchSize", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Without_redis_the_index_and_archive_are_in_memory()
    {
        await using var services = new ServiceCollection().AddLogging().WithGrainFactory().AddConversationLifecycle().BuildServiceProvider();

        Assert.IsType<MemoryConversationActivityIndex>(services.GetRequiredService<IConversationActivityIndex>());
        Assert.IsType<MemoryConversationArchive>(services.GetRequiredService<IConversationArchive>());
        Assert.Same(services.GetRequiredService<ConversationSweeper>(), services.GetServices<IHostedService>().OfType<ConversationSweeper>().Single());
    }

    [Fact]
    public async Task With_redis_registered_the_index_and_archive_are_in_redis_whatever_the_order_of_calls()
    {
        // Nothing connects here: the Redis implementations connect on first use.
        await using var services = new ServiceCollection().AddLogging().WithGrainFactory()
            .AddConversationLifecycle()
            .AddRedis(o => o.ConnectionString = "127.0.0.1:1")
            .AddConversationLifecycle()
            .BuildServiceProvider();

        Assert.IsType<RedisConversationActivityIndex>(services.GetRequiredService<IConversationActivityIndex>());
        Assert.IsType<RedisConversationArchive>(services.GetRequiredService<IConversationArchive>());
        Assert.Single(services.GetServices<IHostedService>().OfType<ConversationSweeper>());
    }
}

internal static class GrainFactoryRegistration
{
    /// <summary>An Orleans client's grain factory, as the sweeper needs one to resolve: it connects only when started,
    /// and these tests only look at what is registered.</summary>
    public static IServiceCollection WithGrainFactory(this IServiceCollection services) => services.AddOrleansClient(static c => c.UseLocalhostClustering());
}
