using System.Text;
using Parley.GrainInterfaces.Conversations;
using Parley.Grains.Conversations.Transcript;
using Parley.Grains.Redis;
using Parley.Grains.Tests.Quotas;
using Parley.Testing;
using StackExchange.Redis;

namespace Parley.Grains.Tests.Conversations;

/// <summary>What every transcript store does, run against memory and a real redis-server: numbering from 1, a turn key
/// stored at most once, the working context's tail, ranges and listings that skip removed entries, and a whole
/// transcript exported and imported as it was.</summary>
public abstract class TranscriptStoreContractTests : IAsyncLifetime
{
    protected const string Id = "conv_contract";
    private static readonly TranscriptMarks Marks = new(1, 1_000);

    protected ITranscriptStore Store { get; private set; } = null!;

    protected abstract Task<ITranscriptStore> CreateAsync();

    /// <summary>Makes the conversation exist where the store checks (Redis: its grain state key).</summary>
    protected virtual Task CreateConversationStateAsync(string id) => Task.CompletedTask;

    public async Task InitializeAsync()
    {
        Store = await CreateAsync();
        await CreateConversationStateAsync(Id);
    }

    public virtual Task DisposeAsync() => Task.CompletedTask;

    protected static TranscriptEntry Entry(string role, string text, TurnMark? turn = null) => new()
    {
        Id = "msg_" + Guid.NewGuid().ToString("N"),
        Role = role,
        Message = Encoding.UTF8.GetBytes($$"""{"role":"{{role}}","content":"{{text}}"}"""),
        Turn = turn,
    };

    private static TurnMark Mark(string key, ulong hash = 7) => new(key, hash, 2,
        new TurnReply("chatcmpl-1", 1_700_000_000, "m", "stop", "fp", """{"prompt_tokens":3,"completion_tokens":4,"total_tokens":7,"details":{"x":1}}"""u8.ToArray()));

    private static string Text(TranscriptEntry entry) => Encoding.UTF8.GetString(entry.Message.Span);

    private static string Content(TranscriptEntry entry) => System.Text.Json.JsonDocument.Parse(entry.Message).RootElement.GetProperty("content").GetString()!;

    [Fact]
    public async Task Entries_are_numbered_from_one_across_appends()
    {
        var first = new List<TranscriptEntry> { Entry("user", "a"), Entry("assistant", "b") };
        var second = new List<TranscriptEntry> { Entry("user", "c") };

        Assert.Equal(1, (await Store.AppendAsync(Id, first, null, Marks)).FirstSeq);
        Assert.Equal(3, (await Store.AppendAsync(Id, second, null, Marks)).FirstSeq);

        Assert.Equal([1L, 2L, 3L], [.. first.Concat(second).Select(e => e.Seq)]);
        var tail = await Store.ReadTailAsync(Id, 1);
        Assert.Equal(3, tail.LastSeq);
        Assert.Equal([.. first.Concat(second).Select(Text)], tail.Entries.Select(Text));
    }

    [Fact]
    public async Task A_turn_key_is_stored_once_and_its_ending_entry_comes_back_byte_for_byte()
    {
        var turn = new List<TranscriptEntry> { Entry("user", "q"), Entry("assistant", "a", Mark("k1")) };
        Assert.True((await Store.AppendAsync(Id, turn, "k1", Marks)).Appended);

        var again = await Store.AppendAsync(Id, [Entry("user", "q"), Entry("assistant", "other", Mark("k1"))], "k1", Marks);

        Assert.False(again.Appended);
        Assert.Equal(2, again.Stored!.Seq);
        Assert.Equal(Text(turn[1]), Text(again.Stored));
        Assert.Equal(turn[1].Id, again.Stored.Id);
        Assert.Equal(Mark("k1").Reply.Usage, again.Stored.Turn!.Reply.Usage);
        Assert.Equal(Mark("k1") with { Reply = again.Stored.Turn.Reply }, again.Stored.Turn);
        Assert.Equal("chatcmpl-1", again.Stored.Turn.Reply.ResponseId);
        Assert.Equal(2, (await Store.ReadTailAsync(Id, 1)).LastSeq);
    }

    [Fact]
    public async Task The_tail_starts_at_the_later_of_the_caller_and_the_recorded_context_start()
    {
        var entries = Enumerable.Range(1, 6).Select(i => Entry(i % 2 == 1 ? "user" : "assistant", "e" + i)).ToList();
        await Store.AppendAsync(Id, entries, null, new TranscriptMarks(ContextFromSeq: 3, UsedAtMs: 42));

        var fromMark = await Store.ReadTailAsync(Id, 1);
        var fromCaller = await Store.ReadTailAsync(Id, 5);

        Assert.Equal(3, fromMark.FromSeq);
        Assert.Equal(["e3", "e4", "e5", "e6"], fromMark.Entries.Select(Content));
        Assert.Equal([3L, 4L, 5L, 6L], fromMark.Entries.Select(e => e.Seq));
        Assert.Equal(42, fromMark.UsedAtMs);
        Assert.Equal([5L, 6L], fromCaller.Entries.Select(e => e.Seq));
        Assert.Equal(6, fromCaller.LastSeq);
    }

    [Fact]
    public async Task A_removed_entry_keeps_its_number_and_reads_skip_it()
    {
        var entries = Enumerable.Range(1, 5).Select(i => Entry("user", "e" + i)).ToList();
        await Store.AppendAsync(Id, entries, null, Marks);

        Assert.True(await Store.RemoveAsync(Id, entries[1].Id));
        Assert.False(await Store.RemoveAsync(Id, entries[1].Id));
        Assert.Null(await Store.GetAsync(Id, entries[1].Id));
        Assert.Equal(3, (await Store.GetAsync(Id, entries[2].Id))!.Seq);

        Assert.Equal([1L, 3L, 4L], (await Store.ReadRangeAsync(Id, 1, 4)).Select(e => e.Seq));
        Assert.Equal([1L, 3L, 4L, 5L], (await Store.ReadTailAsync(Id, 1)).Entries.Select(e => e.Seq));
        var appended = Entry("user", "e6");
        await Store.AppendAsync(Id, [appended], null, Marks);
        Assert.Equal(6, appended.Seq);
    }

    [Fact]
    public async Task Listing_pages_in_both_orders_after_a_cursor_and_skips_removed_entries()
    {
        var entries = Enumerable.Range(1, 7).Select(i => Entry("user", "e" + i)).ToList();
        await Store.AppendAsync(Id, entries, null, Marks);
        await Store.RemoveAsync(Id, entries[2].Id);

        var first = await Store.ListAsync(Id, null, ascending: true, limit: 3);
        Assert.Equal([1L, 2L, 4L], first.Entries.Select(e => e.Seq));
        Assert.True(first.HasMore);
        var rest = await Store.ListAsync(Id, first.Entries[^1].Id, ascending: true, limit: 3);
        Assert.Equal([5L, 6L, 7L], rest.Entries.Select(e => e.Seq));
        Assert.False(rest.HasMore);

        var newest = await Store.ListAsync(Id, null, ascending: false, limit: 4);
        Assert.Equal([7L, 6L, 5L, 4L], newest.Entries.Select(e => e.Seq));
        Assert.True(newest.HasMore);
        var older = await Store.ListAsync(Id, newest.Entries[^1].Id, ascending: false, limit: 4);
        Assert.Equal([2L, 1L], older.Entries.Select(e => e.Seq));
        Assert.False(older.HasMore);

        Assert.False((await Store.ListAsync(Id, "msg_unknown", ascending: true, limit: 3)).AfterFound);
        Assert.Empty((await Store.ListAsync("conv_nothing", null, ascending: true, limit: 3)).Entries);
    }

    [Fact]
    public async Task Export_then_import_gives_back_the_same_transcript()
    {
        var entries = new List<TranscriptEntry>
        {
            Entry("user", "q"),
            new()
            {
                Id = "msg_parts",
                Role = "user",
                Message = """{"role":"user","content":"with parts"}"""u8.ToArray(),
                Content = [new ConversationContentPart("output_text", "shown as output")],
                Tokens = new TokenCounts { O200k = 11, Cl100k = 12 },
            },
            Entry("assistant", "a", Mark("k1")),
        };
        await Store.AppendAsync(Id, entries, "k1", new TranscriptMarks(2, 99));
        await Store.RemoveAsync(Id, entries[0].Id);
        var snapshot = (await Store.ExportAsync(Id))!;

        await Store.DeleteAsync(Id);
        Assert.Null(await Store.ExportAsync(Id));
        await Store.ImportAsync(Id, snapshot);

        var tail = await Store.ReadTailAsync(Id, 1);
        Assert.Equal(2, tail.FromSeq);
        Assert.Equal(99, tail.UsedAtMs);
        Assert.Equal([2L, 3L], tail.Entries.Select(e => e.Seq));
        var parts = (await Store.GetAsync(Id, "msg_parts"))!;
        Assert.Equal([new ConversationContentPart("output_text", "shown as output")], parts.Content!);
        Assert.Equal((11, 12), (parts.Tokens.O200k, parts.Tokens.Cl100k));
        Assert.Null(await Store.GetAsync(Id, entries[0].Id));
        Assert.False((await Store.AppendAsync(Id, [Entry("user", "q"), Entry("assistant", "again", Mark("k1"))], "k1", Marks)).Appended);
        var next = Entry("user", "next");
        await Store.AppendAsync(Id, [next], null, Marks);
        Assert.Equal(4, next.Seq);
    }

    [Fact]
    public async Task Delete_removes_the_whole_transcript()
    {
        await Store.AppendAsync(Id, [Entry("user", "a"), Entry("assistant", "b", Mark("k"))], "k", Marks);

        await Store.DeleteAsync(Id);

        Assert.Equal(0, (await Store.ReadTailAsync(Id, 1)).LastSeq);
        Assert.Null(await Store.ExportAsync(Id));
    }
}

public sealed class MemoryTranscriptStoreTests : TranscriptStoreContractTests
{
    protected override Task<ITranscriptStore> CreateAsync() => Task.FromResult<ITranscriptStore>(new MemoryTranscriptStore());
}

public sealed class RedisTranscriptStoreTests(RedisServerFixture redis) : TranscriptStoreContractTests, IClassFixture<RedisServerFixture>
{
    private QuotaRedisConnections? _connections;
    private IRedisConnection _connection = null!;

    protected override async Task<ITranscriptStore> CreateAsync()
    {
        _connections = new QuotaRedisConnections(redis);
        _connection = await _connections.ConnectAsync();
        return new RedisTranscriptStore(_connection, Parley.Grains.Encryption.ContentCipher.CreateEphemeral());
    }

    protected override async Task CreateConversationStateAsync(string id)
    {
        var db = (await _connection.GetMultiplexerAsync()).GetDatabase();
        await db.HashSetAsync(_connection.Key(RedisTranscriptStore.HashTag(id), "state"), [new HashEntry("etag", "1"), new HashEntry("data", "{}")]);
    }

    public override async Task DisposeAsync()
    {
        if (_connections is not null)
        {
            await _connections.DisposeAsync();
        }
    }

    [Fact]
    public async Task Nothing_is_appended_to_a_conversation_whose_state_is_gone()
    {
        var appended = await Store.AppendAsync("conv_without_state", [Entry("user", "late")], null, new TranscriptMarks(1, 1));

        Assert.True(appended.ConversationGone);
        Assert.Null(await Store.ExportAsync("conv_without_state"));
    }

    [Fact]
    public async Task Every_key_of_a_transcript_is_in_the_conversations_hash_slot()
    {
        await Store.AppendAsync(Id, [Entry("user", "a"), Entry("assistant", "b", new TurnMark("k", 1, 2, TurnReply.Unknown))], "k", new TranscriptMarks(1, 1));
        var db = (await _connection.GetMultiplexerAsync()).GetDatabase();
        var keys = (RedisResult[])(await db.ScriptEvaluateAsync("return redis.call('KEYS', ARGV[1])", values: ["*" + _connections!.Prefix + "*"]))!;
        var slots = keys.Select(k => (string)k!).Select(k => k[(k.IndexOf('{') + 1)..k.IndexOf('}')]).Distinct().ToList();
        Assert.Equal(5, keys.Length); // log, ids, turns, marks, and the grain state
        Assert.Equal([$"{_connections.Prefix}:conversation/{Id}"], slots);
    }
}
