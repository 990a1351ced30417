using Microsoft.Extensions.DependencyInjection;
using Parley.GrainInterfaces.Conversations;
using Parley.Grains.Conversations.Context;
using Parley.Grains.Conversations.Transcript;
using Parley.Grains.Tests.Infrastructure;
using Parley.Tokenizer;

namespace Parley.Grains.Tests.Conversations;

/// <summary>An activation lets go of its working context once the conversation sits idle for the working set's idle
/// timeout, and its next prompt reads the context back in one transcript read. Orleans' grain timers run on real time,
/// so this runs with a one-second timeout and bounded waits.</summary>
public sealed class WorkingSetIdleTests
{
    private static readonly TimeSpan IdleTimeout = TimeSpan.FromSeconds(1);

    [Fact]
    public async Task A_conversation_created_with_items_lets_go_of_its_working_set_when_idle_and_reads_it_back_once()
    {
        var reads = new TailReadCounter(new MemoryTranscriptStore());
        await using var cluster = await GrainCluster.StartAsync(configure: services =>
        {
            services.AddSingleton<ITranscriptStore>(reads);
            services.Configure<ConversationContextOptions>(o => o.WorkingSetIdleTimeout = IdleTimeout);
        });
        var grain = cluster.Grains.GetGrain<IConversationGrain>("conv_" + new string('b', 32));
        NewConversationItem[] items =
        [
            new("user", [new ConversationContentPart(ConversationContentPart.InputText, "hello")]),
            new("assistant", [new ConversationContentPart(ConversationContentPart.OutputText, "hi")]),
        ];
        Assert.NotNull(await grain.CreateAsync("user_1", new Dictionary<string, string>(), items, ConversationSettings.None));
        var request = new PromptRequest("gpt-4o", TiktokenEncoding.O200kBaseName, 10_000, 10);

        // The working set made by CreateAsync serves the first prompt.
        Assert.Equal(2, (await grain.BuildPromptAsync("user_1", request)).Messages.Count);
        Assert.Equal(0, reads.Count);

        // Idle past the timeout (the timer runs every timeout, so at most two of them): let go, read back once.
        await Task.Delay(3 * IdleTimeout);
        Assert.Equal(2, (await grain.BuildPromptAsync("user_1", request)).Messages.Count);
        Assert.Equal(1, reads.Count);
        Assert.Equal(2, (await grain.BuildPromptAsync("user_1", request)).Messages.Count);
        Assert.Equal(1, reads.Count);
    }

    /// <summary>Counts working-context reads; everything else goes straight to the store.</summary>
    private sealed class TailReadCounter(ITranscriptStore inner) : ITranscriptStore
    {
        private int _count;

        public int Count => Volatile.Read(ref _count);

        public Task<TranscriptTail> ReadTailAsync(string conversationId, long fromSeq)
        {
            Interlocked.Increment(ref _count);
            return inner.ReadTailAsync(conversationId, fromSeq);
        }

        public Task<TranscriptAppend> AppendAsync(string conversationId, IReadOnlyList<TranscriptEntry> entries, string? turnKey, TranscriptMarks marks)
            => inner.AppendAsync(conversationId, entries, turnKey, marks);

        public Task<IReadOnlyList<TranscriptEntry>> ReadRangeAsync(string conversationId, long fromSeq, long toSeq)
            => inner.ReadRangeAsync(conversationId, fromSeq, toSeq);

        public Task<TranscriptPage> ListAsync(string conversationId, string? afterId, bool ascending, int limit)
            => inner.ListAsync(conversationId, afterId, ascending, limit);

        public Task<TranscriptEntry?> GetAsync(string conversationId, string itemId) => inner.GetAsync(conversationId, itemId);

        public Task<bool> RemoveAsync(string conversationId, string itemId) => inner.RemoveAsync(conversationId, itemId);

        public Task TouchAsync(string conversationId, long usedAtMs) => inner.TouchAsync(conversationId, usedAtMs);

        public Task DeleteAsync(string conversationId) => inner.DeleteAsync(conversationId);

        public Task<TranscriptSnapshot?> ExportAsync(string conversationId) => inner.ExportAsync(conversationId);

        public Task ImportAsync(string conversationId, TranscriptSnapshot snapshot) => inner.ImportAsync(conversationId, snapshot);
    }
}
