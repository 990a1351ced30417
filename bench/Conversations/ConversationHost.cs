using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Parley.GrainInterfaces.Conversations;
using Parley.Grains.Conversations;
using Parley.Grains.Conversations.Summaries;
using Parley.Runtime;
using Parley.Runtime.Hosting;

namespace Parley.Bench.Conversations;

/// <summary>The grain runtime composed as an embedded (in-memory) silo composes it, without the web server: the
/// conversation grain, the in-memory grain storage and the in-memory lifecycle (activity index, archive, sweeper).</summary>
internal sealed class ConversationHost : IAsyncDisposable
{
    private readonly IHost _host;
    private bool _stopped;

    private ConversationHost(IHost host, CountingSummarizer summarizer)
    {
        _host = host;
        Summarizer = summarizer;
    }

    /// <summary>Never asked for a summary in these runs (see <see cref="CountingSummarizer"/>); its count proves it.</summary>
    public CountingSummarizer Summarizer { get; }

    public IGrainRuntimeStatistics Statistics => _host.Services.GetRequiredService<IGrainRuntimeStatistics>();

    public IConversationGrain Conversation(string id) => _host.Services.GetRequiredService<IGrainFactory>().GetGrain<IConversationGrain>(id);

    public static async Task<ConversationHost> StartAsync()
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Services.AddGrainRuntime();
        builder.Services.AddMemoryGrainStorage();
        builder.Services.AddConversationGrain();
        var summarizer = new CountingSummarizer();
        builder.Services.AddSingleton<IConversationSummarizer>(summarizer);
        var host = builder.Build();
        await host.StartAsync();
        return new ConversationHost(host, summarizer);
    }

    /// <summary>Stops the host, which deactivates every activation. The container (and so the in-memory storage and
    /// activity index, both singletons) stays alive until <see cref="DisposeAsync"/>: what is left is the stored copy.</summary>
    public async Task StopAsync()
    {
        if (!_stopped)
        {
            _stopped = true;
            await _host.StopAsync();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        _host.Dispose();
    }

    /// <summary>Fails every call, and counts them. The benchmark's conversations stay under the high-water mark of the
    /// budget they record (1,000,000 tokens), so the grain never starts a summary; a non-zero count would mean a
    /// measurement included the background summariser's start-up (and a failure path).</summary>
    internal sealed class CountingSummarizer : IConversationSummarizer
    {
        private int _calls;

        public int Calls => Volatile.Read(ref _calls);

        public Task<string> SummarizeAsync(ConversationSummaryRequest request, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _calls);
            throw new InvalidOperationException("The conversation benchmark has no summariser model.");
        }
    }
}
