using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Parley.Runtime.Grains;
using Parley.Runtime.Hosting;
using Parley.Testing;

namespace Parley.Runtime.Tests.Grains;

/// <summary>A started host with the grain runtime, the test grains, in-memory storage and a manual clock.</summary>
internal sealed class GrainHost : IAsyncDisposable
{
    public static readonly TimeSpan CollectionAge = TimeSpan.FromMinutes(10);
    public static readonly TimeSpan ShortCollectionAge = TimeSpan.FromMinutes(1);
    public static readonly TimeSpan Quantum = TimeSpan.FromMinutes(1);

    private bool _stopped;

    private GrainHost(IHost host)
    {
        Host = host;
    }

    public IHost Host { get; }
    public ManualTimeProvider Time => (ManualTimeProvider)Host.Services.GetRequiredService<TimeProvider>();
    public GrainProbe Probe => Host.Services.GetRequiredService<GrainProbe>();
    public IGrainFactory Factory => Host.Services.GetRequiredService<IGrainFactory>();
    public IGrainRuntimeStatistics Statistics => Host.Services.GetRequiredService<IGrainRuntimeStatistics>();
    internal GrainCatalog Catalog => Host.Services.GetRequiredService<GrainCatalog>();
    public IGrainStorage Storage => Host.Services.GetRequiredKeyedService<IGrainStorage>(GrainStorageNames.Default);

    public static async Task<GrainHost> StartAsync(Action<IServiceCollection>? storage = null)
    {
        var builder = new HostApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Services.AddSingleton<TimeProvider>(new ManualTimeProvider());
        builder.Services.AddSingleton<GrainProbe>();
        builder.Services.AddGrainRuntime(o =>
        {
            o.DefaultCollectionAge = CollectionAge;
            o.CollectionQuantum = Quantum;
            o.DeactivationTimeout = TimeSpan.FromSeconds(5);
        });
        builder.Services.AddGrain<ICounterGrain, CounterGrain>();
        builder.Services.AddGrain<IShortLivedGrain, ShortLivedGrain>(ShortCollectionAge);
        builder.Services.AddGrain<INotesGrain, NotesGrain>();
        builder.Services.AddGrainStateJson(TestJsonContext.Default);
        if (storage is null)
        {
            builder.Services.AddMemoryGrainStorage();
        }
        else
        {
            storage(builder.Services);
        }
        var host = builder.Build();
        await host.StartAsync();
        return new GrainHost(host);
    }

    public async Task StopAsync()
    {
        _stopped = true;
        await Host.StopAsync();
    }

    public async ValueTask DisposeAsync()
    {
        if (!_stopped)
        {
            await StopAsync();
        }
        Host.Dispose();
    }
}
