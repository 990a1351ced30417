using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Parley.GrainInterfaces.Conversations;
using Parley.Grains.Conversations;
using Parley.Grains.Conversations.Summaries;
using Parley.Runtime;
using Parley.Runtime.Hosting;

namespace Parley.Silo.Tests.Conversations;

/// <summary>A bare grain runtime hosting the conversation grain: enough of a silo to run two "silos" that share one
/// storage in one test process.</summary>
internal sealed class GrainSilo : IAsyncDisposable
{
    private readonly IHost _host;

    private GrainSilo(IHost host) => _host = host;

    public IGrainFactory Grains => _host.Services.GetRequiredService<IGrainFactory>();

    public IConversationGrain Conversation(string id) => Grains.GetGrain<IConversationGrain>(id);

    /// <summary>On Redis (<paramref name="redisConnectionString"/>) or, when null, in memory. <paramref name="wrapStorage"/>
    /// may decorate the grain storage, to interleave another writer at a chosen moment.</summary>
    public static async Task<GrainSilo> StartAsync(string? redisConnectionString, string keyPrefix, Func<IGrainStorage, IGrainStorage>? wrapStorage = null)
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Services.AddGrainRuntime();
        if (redisConnectionString is null)
        {
            builder.Services.AddMemoryGrainStorage();
        }
        else
        {
            builder.Services.AddRedis(o =>
            {
                o.ConnectionString = redisConnectionString;
                o.KeyPrefix = keyPrefix;
            });
            builder.Services.AddRedisGrainStorage();
        }
        if (wrapStorage is not null)
        {
            var descriptor = builder.Services.Last(d => d.ServiceType == typeof(IGrainStorage) && Equals(d.ServiceKey, GrainStorageNames.Default));
            builder.Services.Remove(descriptor);
            builder.Services.AddKeyedSingleton(GrainStorageNames.Default, (sp, key) => wrapStorage((IGrainStorage)descriptor.KeyedImplementationFactory!(sp, key)));
        }
        builder.Services.AddConversationGrain();
        // These hosts never fill a context past its budget, so no summary is ever asked for.
        builder.Services.AddSingleton<IConversationSummarizer, UnavailableSummarizer>();
        var host = builder.Build();
        await host.StartAsync();
        return new GrainSilo(host);
    }

    private sealed class UnavailableSummarizer : IConversationSummarizer
    {
        public Task<string> SummarizeAsync(ConversationSummaryRequest request, CancellationToken cancellationToken)
            => throw new InvalidOperationException("This test host has no summariser model.");
    }

    public async ValueTask DisposeAsync()
    {
        await _host.StopAsync();
        _host.Dispose();
    }
}
