using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Parley.GrainInterfaces.Conversations;
using Parley.Grains.Conversations.Context;
using Parley.Grains.Conversations.Transcript;
using Parley.Grains.Tests.Infrastructure;
using Parley.Testing;
using static Parley.Grains.Tests.Conversations.ConversationTestKit;

namespace Parley.Grains.Tests.Conversations;

/// <summary>What one activation holds and reads: the working context only (never the transcript before the summary),
/// read once and then kept; let go after it sits idle and read back in one call on its next turn; turns in flight
/// claimed by their key, a claim of a silo that is gone ignored.</summary>
public sealed class ConversationActivationTests : IAsyncLifetime
{
    private readonly ManualTimeProvider _time = new();
    private readonly CountingTranscriptStore _store = new(new MemoryTranscriptStore());
    private readonly CapturedLogs _logs = new();
    private GrainCluster _cluster = null!;

    public async Task InitializeAsync()
        => _cluster = await GrainCluster.StartAsync(_time, configure: services =>
        {
            services.AddSingleton<ITranscriptStore>(_store);
            services.AddSingleton<ILoggerProvider>(_logs);
            services.Configure<LoggerFilterOptions>(o => o.Rules.Add(new LoggerFilterRule(null, "Parley", LogLevel.Debug, null)));
        });

    public async Task DisposeAsync() => await _cluster.DisposeAsync();

    private IConversationGrain Grain(string id) => _cluster.Grains.GetGrain<IConversationGrain>(id);

    private int TailReadsOf(string id) => _store.TailReads.Count(r => r.Conversation == id);

    [Fact]
    public async Task An_activation_reads_its_working_context_once_and_keeps_it_while_used()
    {
        var grain = Grain("conv_kept");
        Assert.NotNull(await CreateAsync(grain));
        for (var i = 0; i < 5; i++)
        {
            Assert.Equal(TurnAppendStatus.Appended, (await grain.AppendTurnAsync(User, Turn($"t{i}"))).Status);
            Assert.NotNull(await ContextAsync(grain));
        }

        Assert.Equal(0, TailReadsOf("conv_kept"));
        Assert.Empty(_store.RangeReads);
    }

    [Fact]
    public async Task An_activation_reads_only_what_the_summary_does_not_cover()
    {
        var grain = Grain("conv_summarised");
        Assert.NotNull(await CreateAsync(grain));
        for (var i = 0; i < 10; i++)
        {
            await grain.AppendTurnAsync(User, Turn($"t{i}"));
        }
        Assert.True(await grain.ApplySummaryAsync(new ConversationSummaryUpdate("the first fourteen", 0, 14, 14)));
        await _cluster.Cluster.DeactivateAsync(grain);

        var texts = await ContextAsync(grain);

        Assert.Equal(("conv_summarised", 15L), Assert.Single(_store.TailReads, r => r.Conversation == "conv_summarised"));
        Assert.Equal(["t7?", "t7!", "t8?", "t8!", "t9?", "t9!"], texts!.Skip(1));
        Assert.StartsWith("Summary of the earlier part of this conversation", texts![0]);
    }

    [Fact]
    public async Task An_idle_activation_lets_go_of_its_working_context_and_reads_it_back_in_one_call()
    {
        var grain = Grain("conv_idle");
        Assert.NotNull(await CreateAsync(grain));
        await grain.AppendTurnAsync(User, Turn("before"));
        var before = await ContextAsync(grain);
        Assert.Equal(0, TailReadsOf("conv_idle"));

        _time.Advance(ConversationContextOptions.DefaultWorkingSetIdleTimeout * 2);
        await WaitUntilAsync(() => _logs.Lines.Any(l => l.Contains("conv_idle", StringComparison.Ordinal) && l.Contains("let go", StringComparison.Ordinal)));

        Assert.Equal(before, await ContextAsync(grain));
        Assert.Equal(1, TailReadsOf("conv_idle"));
        Assert.Equal(TurnAppendStatus.Appended, (await grain.AppendTurnAsync(User, Turn("after"))).Status);
        Assert.Equal(["before?", "before!", "after?", "after!"], await ContextAsync(grain));
        Assert.Equal(1, TailReadsOf("conv_idle"));
    }

    [Fact]
    public async Task A_turn_in_flight_holds_its_key_while_its_silo_lives_and_is_released_when_it_fails()
    {
        var grain = Grain("conv_claims");
        Assert.NotNull(await CreateAsync(grain));
        var silo = _cluster.Cluster.Silos[0].SiloAddress;
        var first = new TurnIdentity("key-1", 7, "req-1", silo);
        var retry = first with { RequestId = "req-2" };

        Assert.Equal(PromptStatus.Ready, (await grain.BuildPromptAsync(User, Prompt(first))).Status);
        // The same request planning again (a routing rule chose another model) is not a retry.
        Assert.Equal(PromptStatus.Ready, (await grain.BuildPromptAsync(User, Prompt(first))).Status);
        Assert.Equal(PromptStatus.TurnInProgress, (await grain.BuildPromptAsync(User, Prompt(retry))).Status);
        Assert.Equal(PromptStatus.TurnKeyReused, (await grain.BuildPromptAsync(User, Prompt(retry with { MessagesHash = 8 }))).Status);

        // Another request cannot release it; the one that claimed it can.
        await grain.ReleaseTurnAsync(retry);
        Assert.Equal(PromptStatus.TurnInProgress, (await grain.BuildPromptAsync(User, Prompt(retry))).Status);
        await grain.ReleaseTurnAsync(first);
        Assert.Equal(PromptStatus.Ready, (await grain.BuildPromptAsync(User, Prompt(retry))).Status);
    }

    [Fact]
    public async Task A_claim_held_by_a_silo_that_is_not_an_active_member_does_not_block_the_retry()
    {
        var grain = Grain("conv_dead_holder");
        Assert.NotNull(await CreateAsync(grain));
        var gone = SiloAddress.New(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, 1), 1);
        var first = new TurnIdentity("key-1", 7, "req-1", gone);

        Assert.Equal(PromptStatus.Ready, (await grain.BuildPromptAsync(User, Prompt(first))).Status);
        Assert.Equal(PromptStatus.Ready, (await grain.BuildPromptAsync(User, Prompt(first with { RequestId = "req-2" }))).Status);
    }

    [Fact]
    public async Task A_claim_lapses_after_the_longest_call()
    {
        var grain = Grain("conv_lapsed");
        Assert.NotNull(await CreateAsync(grain));
        var first = new TurnIdentity("key-1", 7, "req-1", _cluster.Cluster.Silos[0].SiloAddress);
        Assert.Equal(PromptStatus.Ready, (await grain.BuildPromptAsync(User, Prompt(first))).Status);

        _time.Advance(ConversationContextOptions.DefaultTurnClaimTimeout - TimeSpan.FromSeconds(1));
        Assert.Equal(PromptStatus.TurnInProgress, (await grain.BuildPromptAsync(User, Prompt(first with { RequestId = "req-2" }))).Status);
        _time.Advance(TimeSpan.FromSeconds(2));
        Assert.Equal(PromptStatus.Ready, (await grain.BuildPromptAsync(User, Prompt(first with { RequestId = "req-3" }))).Status);
    }

    [Fact]
    public async Task A_stored_turn_is_replayed_and_its_key_with_other_messages_refused()
    {
        var grain = Grain("conv_replay");
        Assert.NotNull(await CreateAsync(grain));
        var turn = Turn("stored", key: "key-s");
        Assert.Equal(TurnAppendStatus.Appended, (await grain.AppendTurnAsync(User, turn)).Status);

        var replay = await grain.BuildPromptAsync(User, Prompt(turn.Turn with { RequestId = "retry" }));
        var reused = await grain.BuildPromptAsync(User, Prompt(turn.Turn with { RequestId = "other", MessagesHash = 1 }));

        Assert.Equal(PromptStatus.Replay, replay.Status);
        Assert.Equal("stored!", Text(replay.Replay!.Assistant));
        Assert.Equal("chatcmpl-stored", replay.Replay.Reply.ResponseId);
        Assert.Equal(PromptStatus.TurnKeyReused, reused.Status);
        Assert.Equal(TurnAppendStatus.AlreadyStored, (await grain.AppendTurnAsync(User, turn)).Status);
        Assert.Equal(["stored?", "stored!"], await ContextAsync(grain));
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "timed out");
            await Task.Delay(10);
        }
    }
}
