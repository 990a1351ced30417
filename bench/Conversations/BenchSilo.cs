using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans.Hosting;
using Parley.GrainInterfaces.Conversations;
using Parley.Grains;
using Parley.Grains.Conversations;
using Parley.Grains.Conversations.Context;
using Parley.Grains.Conversations.Summaries;
using Parley.Grains.Conversations.Transcript;
using Parley.Grains.Redis;

namespace Parley.Bench.Conversations;

/// <summary>A silo in the benchmark's process, composed as Parley's silo composes its Orleans side (without the web
/// server): Host + UseOrleans on loopback ports of its own, Parley's grain storage (Orleans' Redis or memory grain
/// storage, System.Text.Json), the conversation grain's services bound from <c>Parley:Conversations:Context</c>, the
/// shared Redis connection when there is one, and the <see cref="StandInSummarizer"/>. The transcript store is wrapped
/// in a <see cref="CountingTranscriptStore"/>.</summary>
internal sealed class BenchSilo : IAsyncDisposable
{
    private readonly IHost _host;

    private BenchSilo(IHost host, string storeName, RedisMeter? meter)
    {
        _host = host;
        Meter = meter;
        StoreName = storeName;
        Grains = host.Services.GetRequiredService<IGrainFactory>();
        Summarizer = (StandInSummarizer)host.Services.GetRequiredService<IConversationSummarizer>();
        Transcripts = (CountingTranscriptStore)host.Services.GetRequiredService<ITranscriptStore>();
        Address = host.Services.GetRequiredService<ILocalSiloDetails>().SiloAddress;
    }

    public string StoreName { get; }

    /// <summary>The silo's own grain factory: calls stay in process, as the silo's HTTP endpoints make them.</summary>
    public IGrainFactory Grains { get; }

    public StandInSummarizer Summarizer { get; }

    public CountingTranscriptStore Transcripts { get; }

    public SiloAddress Address { get; }

    public IRedisConnection? Redis => _host.Services.GetService<IRedisConnection>();

    /// <summary>Redis' own counters (null in memory).</summary>
    public RedisMeter? Meter { get; }

    public IManagementGrain Management => Grains.GetGrain<IManagementGrain>(0);

    public IConversationGrain Conversation(string id) => Grains.GetGrain<IConversationGrain>(id);

    /// <param name="redis">A redis-server's connection string; null for the embedded in-memory providers.</param>
    /// <param name="workingSetIdleTimeout">Parley:Conversations:Context:WorkingSetIdleTimeout (null: the default).</param>
    public static async Task<BenchSilo> StartAsync(string? redis, string keyPrefix, TimeSpan? workingSetIdleTimeout = null)
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        var settings = new Dictionary<string, string?>();
        if (redis is not null)
        {
            settings[$"{RedisOptions.SectionName}:{nameof(RedisOptions.ConnectionString)}"] = redis;
            settings[$"{RedisOptions.SectionName}:{nameof(RedisOptions.KeyPrefix)}"] = keyPrefix;
        }
        if (workingSetIdleTimeout is { } idle)
        {
            settings[$"{ConversationContextOptions.SectionName}:{nameof(ConversationContextOptions.WorkingSetIdleTimeout)}"] =
                idle.ToString("c", System.Globalization.CultureInfo.InvariantCulture);
        }
        builder.Configuration.AddInMemoryCollection(settings);
        builder.Logging.AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(LogLevel.Warning)
            // Its first check after a start reports the time since boot as a stall; on shared cores its later ones only
            // say the machine is busy, which the report's load average says too.
            .AddFilter("Orleans.Runtime.Watchdog", LogLevel.Error)
            // Each failed round on the summariser-down conversation is a warning; the benchmark counts them instead.
            .AddFilter(typeof(ConversationSummaryRunner).FullName, LogLevel.Error);

        var services = builder.Services;
        var useRedis = builder.Configuration.HasRedis();
        if (useRedis)
        {
            services.AddRedis();
        }
        // Registered before AddConversationGrain, whose TryAdd then keeps it: the store the silo would choose, counted.
        services.AddSingleton<ITranscriptStore>(static sp => new CountingTranscriptStore(sp.GetService<IRedisConnection>() is { } connection
            ? new RedisTranscriptStore(connection, sp.GetRequiredService<Parley.Grains.Encryption.ContentCipher>())
            : new MemoryTranscriptStore()));
        var configuration = builder.Configuration;
        services.AddConversationGrain(o => configuration.GetSection(ConversationContextOptions.SectionName).Bind(o));
        services.AddSingleton<IConversationSummarizer, StandInSummarizer>();

        var (siloPort, gatewayPort) = (FreePort(), FreePort());
        builder.UseOrleans(silo =>
        {
            silo.UseLocalhostClustering(siloPort, gatewayPort);
            silo.AddParleyGrainStorage(useRedis);
        });
        var host = builder.Build();
        await host.StartAsync();
        var meter = redis is null ? null
            : await RedisMeter.ConnectAsync(redis, (await host.Services.GetRequiredService<IRedisConnection>().GetMultiplexerAsync()).GetDatabase());
        return new BenchSilo(host, useRedis ? "Redis" : "memory", meter);
    }

    public async ValueTask DisposeAsync()
    {
        if (Meter is not null)
        {
            await Meter.DisposeAsync();
        }
        await _host.StopAsync();
        // The shared Redis connection is IAsyncDisposable only.
        await ((IAsyncDisposable)_host).DisposeAsync();
    }

    private static int FreePort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }
}
