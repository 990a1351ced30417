using Microsoft.Extensions.DependencyInjection;
using Orleans.TestingHost;
using Parley.Grains.Conversations;
using Parley.Grains.Conversations.Summaries;
using Parley.Grains.Quotas.Ledger;
using Parley.Grains.Redis;
using Parley.Grains.UpstreamKeys;
using Parley.Testing;
using Parley.Testing.Logs;

namespace Parley.Grains.Tests.Infrastructure;

/// <summary>Parley's grains on a real Orleans cluster in this process (Orleans' <see cref="InProcessTestCluster"/>), with
/// the grain services registered as a silo registers them: in memory, or on a real redis-server (grain storage,
/// transcripts, index and archive) under a key prefix of its own.</summary>
public sealed class GrainCluster : IAsyncDisposable
{
    private readonly InProcessTestCluster _cluster;

    private GrainCluster(InProcessTestCluster cluster, string? keyPrefix)
    {
        _cluster = cluster;
        KeyPrefix = keyPrefix;
    }

    public IGrainFactory Grains => _cluster.Client;

    public InProcessTestCluster Cluster => _cluster;

    /// <summary>The Redis key prefix (null in memory).</summary>
    public string? KeyPrefix { get; }

    /// <summary>The services of the first silo (the grain services tests reach into).</summary>
    public IServiceProvider Services => _cluster.GetSiloServiceProvider();

    public T Get<T>()
        where T : notnull => Services.GetRequiredService<T>();

    /// <param name="time">The clock of grain code and of Parley's services; Orleans' own machinery keeps real time,
    /// except activation collection when <paramref name="collectOnTime"/>.</param>
    /// <param name="keyPrefix">With <paramref name="redis"/>: the prefix (a fresh one when null); two clusters given the
    /// same prefix share their stored grains, as two activations of one grain would.</param>
    public static async Task<GrainCluster> StartAsync(ManualTimeProvider? time = null, bool collectOnTime = false, RedisServerFixture? redis = null,
        string? keyPrefix = null, Action<IServiceCollection>? configure = null, short silos = 1)
    {
        var prefix = redis is null ? null : keyPrefix ?? "t" + Guid.NewGuid().ToString("N");
        var builder = new InProcessTestClusterBuilder(silos);
        builder.ConfigureSiloHost((_, host) =>
        {
            host.Logging.AddTestLogFile();
            var services = host.Services;
            if (time is not null)
            {
                services.AddSingleton<TimeProvider>(time);
                services.AddKeyedSingleton<TimeProvider>(KeyedService.AnyKey, TimeProvider.System);
                services.AddKeyedSingleton<TimeProvider>(TimeProviderNames.Grains, time);
                if (collectOnTime)
                {
                    services.AddKeyedSingleton<TimeProvider>(TimeProviderNames.ActivationManagement, time);
                }
            }
            if (prefix is not null)
            {
                services.AddRedis(o =>
                {
                    o.ConnectionString = redis!.ConnectionString;
                    o.KeyPrefix = prefix;
                });
            }
            services.AddConversationGrain();
            services.AddQuotaLedger();
            services.AddUpstreamKeys();
            services.AddSingleton<IConversationSummarizer, UnusedSummarizer>();
            configure?.Invoke(services);
        });
        builder.ConfigureSilo((_, silo) => silo.AddParleyGrainStorage(redis: prefix is not null));
        var cluster = builder.Build();
        await cluster.DeployAsync();
        return new GrainCluster(cluster, prefix);
    }

    public ValueTask DisposeAsync() => _cluster.DisposeAsync();
}

/// <summary>The grain requires a summariser (the silo's calls the upstream); tests that never fill a context up to the
/// summary threshold use this one, so any call fails the test.</summary>
internal sealed class UnusedSummarizer : IConversationSummarizer
{
    public Task<string> SummarizeAsync(ConversationSummaryRequest request, CancellationToken cancellationToken)
        => throw new InvalidOperationException("These tests never fill a context up to its summary threshold.");
}
