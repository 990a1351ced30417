using Parley.GrainInterfaces.Conversations;
using Parley.Grains.Tests.Infrastructure;
using Parley.Testing;
using static Parley.Grains.Tests.Conversations.ConversationTestKit;

namespace Parley.Grains.Tests.Conversations;

/// <summary>Two activations of one conversation at once, as can happen briefly while membership changes: two Orleans
/// clusters sharing one Redis (grain state and transcripts under one key prefix) each hold an activation of the same
/// grain. Storage stays the referee: no turn is lost or stored twice, a deletion wins, a stale summary is dropped.</summary>
public sealed class DuplicateActivationTests(RedisServerFixture redis) : IClassFixture<RedisServerFixture>, IAsyncLifetime
{
    private static readonly string Id = "conv_" + new string('d', 32);
    private readonly string _prefix = "t" + Guid.NewGuid().ToString("N");
    private GrainCluster _a = null!;
    private GrainCluster _b = null!;

    public async Task InitializeAsync()
    {
        _a = await GrainCluster.StartAsync(redis: redis, keyPrefix: _prefix);
        _b = await GrainCluster.StartAsync(redis: redis, keyPrefix: _prefix);
    }

    public async Task DisposeAsync()
    {
        await _a.DisposeAsync();
        await _b.DisposeAsync();
    }

    private IConversationGrain A => _a.Grains.GetGrain<IConversationGrain>(Id);
    private IConversationGrain B => _b.Grains.GetGrain<IConversationGrain>(Id);

    [Fact]
    public async Task Turns_through_two_activations_are_all_kept_each_once_and_whole()
    {
        Assert.NotNull(await CreateAsync(A));
        Assert.NotNull(await B.GetAsync(User));
        const int PerActivation = 15;

        var calls = Enumerable.Range(0, PerActivation).SelectMany(i => new[]
        {
            A.AppendTurnAsync(User, Turn($"a{i}")),
            B.AppendTurnAsync(User, Turn($"b{i}")),
        }).ToList();
        Assert.All(await Task.WhenAll(calls), r => Assert.Equal(TurnAppendStatus.Appended, r.Status));

        await using var reader = await GrainCluster.StartAsync(redis: redis, keyPrefix: _prefix);
        var texts = (await ContextAsync(reader.Grains.GetGrain<IConversationGrain>(Id)))!;
        Assert.Equal(4 * PerActivation, texts.Count);
        for (var i = 0; i < texts.Count; i += 2)
        {
            Assert.EndsWith("?", texts[i]);
            Assert.Equal(texts[i][..^1] + "!", texts[i + 1]);
        }
        // Calls made at once reach an activation in no promised order; each is there exactly once.
        Assert.Equal(Enumerable.Range(0, PerActivation).SelectMany(i => new[] { $"a{i}?", $"b{i}?" }).Order(),
            texts.Where(t => t.EndsWith('?')).Order());
    }

    [Fact]
    public async Task An_activation_that_missed_the_others_turns_reads_them_before_its_next_prompt()
    {
        Assert.NotNull(await CreateAsync(A));
        Assert.Equal([], await ContextAsync(B));
        Assert.Equal(TurnAppendStatus.Appended, (await A.AppendTurnAsync(User, Turn("a"))).Status);

        // B's working set predates A's turn; its own append finds the transcript moved on and reads it again.
        Assert.Equal(TurnAppendStatus.Appended, (await B.AppendTurnAsync(User, Turn("b"))).Status);

        Assert.Equal(["a?", "a!", "b?", "b!"], await ContextAsync(B));
    }

    [Fact]
    public async Task A_turn_key_is_stored_once_whichever_activation_gets_it()
    {
        Assert.NotNull(await CreateAsync(A));
        Assert.Equal(TurnAppendStatus.Appended, (await A.AppendTurnAsync(User, Turn("x", key: "same-key"))).Status);

        var second = await B.AppendTurnAsync(User, Turn("y", key: "same-key"));

        Assert.Equal(TurnAppendStatus.AlreadyStored, second.Status);
        Assert.Equal("x!", Text(second.Stored!.Assistant));
        Assert.Equal("chatcmpl-x", second.Stored.Reply.ResponseId);
        Assert.Equal(["x?", "x!"], await ContextAsync(A));
    }

    [Fact]
    public async Task A_conversation_deleted_through_one_activation_takes_no_more_turns_through_the_other()
    {
        Assert.NotNull(await CreateAsync(A));
        Assert.NotNull(await B.GetAsync(User));

        Assert.True(await A.DeleteAsync(User));

        Assert.Equal(TurnAppendStatus.ConversationNotFound, (await B.AppendTurnAsync(User, Turn("late"))).Status);
        Assert.Null(await B.GetAsync(User));
        Assert.Null(await A.GetAsync(User));
    }

    [Fact]
    public async Task A_summary_that_extends_a_replaced_summary_is_dropped_through_either_activation()
    {
        Assert.NotNull(await CreateAsync(A));
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(TurnAppendStatus.Appended, (await A.AppendTurnAsync(User, Turn($"t{i}"))).Status);
        }
        Assert.NotNull(await B.GetAsync(User));

        Assert.True(await A.ApplySummaryAsync(new ConversationSummaryUpdate("first", 0, 2, 2)));
        // Made from the state before "first" existed: it would fold entries twice or lose "first".
        Assert.False(await B.ApplySummaryAsync(new ConversationSummaryUpdate("stale", 0, 4, 4)));
        Assert.True(await B.ApplySummaryAsync(new ConversationSummaryUpdate("second", 2, 4, 4)));

        var context = (await B.GetWorkingContextAsync())!;
        Assert.Equal("second", context.Summary!.Text);
        Assert.Equal(4, context.Summary.CoversThroughSeq);
        Assert.Equal([5L, 6L], context.Items.Select(i => i.Seq));
        Assert.Equal(6, context.TranscriptItems);
    }
}
