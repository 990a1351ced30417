using System.Text;
using Parley.Grains.Conversations.Transcript;

namespace Parley.Grains.Tests.Conversations;

/// <summary>What reading the working context back must return, whichever store holds the transcript; the memory and
/// Redis test classes each run all of it.</summary>
public abstract class TranscriptTailContractTests : IAsyncLifetime
{
    protected const string ConversationId = "conv_tail";
    private ITranscriptStore? _store;

    protected ITranscriptStore Store => _store!;

    /// <summary>A fresh, empty store in which <see cref="ConversationId"/> exists (has a grain state).</summary>
    protected abstract Task<ITranscriptStore> CreateStoreAsync();

    protected virtual Task DisposeStoreAsync() => Task.CompletedTask;

    public async Task InitializeAsync() => _store = await CreateStoreAsync();

    public Task DisposeAsync() => DisposeStoreAsync();

    [Fact]
    public async Task An_empty_transcript_has_no_tail()
    {
        var tail = await Store.ReadTailAsync(ConversationId, 1);

        Assert.Equal(0, tail.LastSeq);
        Assert.Equal(1, tail.FromSeq);
        Assert.Empty(tail.Entries);
    }

    [Fact]
    public async Task The_tail_starts_at_the_later_of_the_asked_start_and_the_recorded_context_start()
    {
        await AppendAsync(count: 4, contextFrom: 1, usedAt: 100);
        await AppendAsync(count: 3, contextFrom: 3, usedAt: 200);

        var fromContext = await Store.ReadTailAsync(ConversationId, 1);
        Assert.Equal(7, fromContext.LastSeq);
        Assert.Equal(3, fromContext.FromSeq);
        Assert.Equal(200, fromContext.UsedAtMs);
        Assert.Equal([3, 4, 5, 6, 7], fromContext.Entries.Select(e => e.Seq));
        Assert.Equal(["m3", "m4", "m5", "m6", "m7"], fromContext.Entries.Select(e => Encoding.UTF8.GetString(e.Message.Span)));

        var fromAsked = await Store.ReadTailAsync(ConversationId, 6);
        Assert.Equal(6, fromAsked.FromSeq);
        Assert.Equal([6, 7], fromAsked.Entries.Select(e => e.Seq));
    }

    [Fact]
    public async Task A_removed_entry_keeps_its_number_and_is_left_out_of_the_tail()
    {
        var ids = await AppendAsync(count: 3, contextFrom: 1, usedAt: 100);
        Assert.True(await Store.RemoveAsync(ConversationId, ids[1]));

        var tail = await Store.ReadTailAsync(ConversationId, 1);

        Assert.Equal(3, tail.LastSeq);
        Assert.Equal([1, 3], tail.Entries.Select(e => e.Seq));
    }

    [Fact]
    public async Task A_start_past_the_end_reads_nothing_but_the_numbers()
    {
        await AppendAsync(count: 2, contextFrom: 1, usedAt: 100);

        var tail = await Store.ReadTailAsync(ConversationId, 9);

        Assert.Equal(2, tail.LastSeq);
        Assert.Equal(9, tail.FromSeq);
        Assert.Empty(tail.Entries);
    }

    private int _next;

    /// <summary>Appends <paramref name="count"/> entries (messages "m1", "m2", … numbered across calls); returns their ids.</summary>
    private async Task<List<string>> AppendAsync(int count, long contextFrom, long usedAt)
    {
        var entries = new List<TranscriptEntry>(count);
        for (var i = 0; i < count; i++)
        {
            _next++;
            entries.Add(new TranscriptEntry { Id = "msg_" + _next, Role = _next % 2 == 1 ? "user" : "assistant", Message = Encoding.UTF8.GetBytes("m" + _next) });
        }
        var appended = await Store.AppendAsync(ConversationId, entries, turnKey: null, new TranscriptMarks(contextFrom, usedAt));
        Assert.True(appended.Appended);
        return entries.ConvertAll(e => e.Id);
    }
}
