using Parley.Grains.Conversations;
using Parley.Grains.Conversations.Context;
using Parley.Grains.Conversations.Transcript;

namespace Parley.Grains.Tests.Context;

/// <summary>The selection rules with token counts fixed by hand (each item's count is preset, so the arithmetic is
/// exact and independent of the tokenizer, which has its own reference tests).</summary>
public sealed class ContextPlannerTests
{
    private const string Encoding = "o200k_base";
    private const int Priming = 3;

    private static readonly ConversationContextOptions Options = new()
    {
        HighWaterRatio = 0.8,
        LowWaterRatio = 0.5,
        SummaryMaxTokens = 20,
        SummaryMaxInputTokens = 1000,
    };

    /// <summary>A conversation's state and its transcript entries, numbered from 1.</summary>
    private sealed record Conversation(ConversationState State, List<TranscriptEntry> Items);

    private static Conversation State(params (string Role, int Tokens)[] items)
    {
        var conversation = new Conversation(new ConversationState { OwnerUserId = "user_1" }, []);
        foreach (var (role, tokens) in items)
        {
            var seq = conversation.Items.Count + 1;
            conversation.Items.Add(new TranscriptEntry
            {
                Id = "msg_" + seq,
                Role = role,
                Message = System.Text.Encoding.UTF8.GetBytes($$"""{"role":"{{role}}","content":"x"}"""),
                Content = [],
                Seq = seq,
                Tokens = new TokenCounts { O200k = tokens },
            });
        }
        return conversation;
    }

    private static void Summarize(Conversation state, long throughSeq, int tokens) => state.State.Summary = new StoredSummary
    {
        Text = "summary",
        Message = """{"role":"system","content":"summary"}"""u8.ToArray(),
        CoversThroughSeq = throughSeq,
        Tokens = new TokenCounts { O200k = tokens },
    };

    [Fact]
    public void Everything_is_kept_when_it_fits()
    {
        var state = State(("user", 10), ("assistant", 20), ("user", 30), ("assistant", 40));

        Assert.True(ContextPlanner.TrySelect(state.State, state.Items, Encoding, budget: 1000, reservedTokens: Priming + 5, out var selection));

        Assert.Equal(new ContextSelection(0, 0, false, 100), selection);
        Assert.Equal(Priming + 100, ContextPlanner.FullContextTokens(state.State, state.Items, Encoding));
    }

    [Fact]
    public void The_kept_part_starts_at_a_turn_so_a_tool_call_keeps_its_results()
    {
        // Turn 1: user, assistant calling a tool, the tool's result, the assistant's answer. Turn 2: user, assistant.
        var state = State(("user", 10), ("assistant", 10), ("tool", 10), ("assistant", 10), ("user", 10), ("assistant", 10));

        // 45 tokens of room: the newest four messages (40) would fit, but they start at the tool result.
        Assert.True(ContextPlanner.TrySelect(state.State, state.Items, Encoding, budget: 45 + Priming, reservedTokens: Priming, out var selection));

        Assert.Equal(4, selection.KeepFrom);
        Assert.Equal(4, selection.Dropped);
        Assert.Equal(20, selection.StoredTokens);
    }

    [Fact]
    public void Nothing_is_kept_when_even_the_newest_turn_does_not_fit_beside_the_new_messages()
    {
        var state = State(("user", 10), ("assistant", 50));

        Assert.True(ContextPlanner.TrySelect(state.State, state.Items, Encoding, budget: 40, reservedTokens: 30, out var selection));

        Assert.Equal(2, selection.KeepFrom);
        Assert.Equal(0, selection.StoredTokens);
    }

    [Fact]
    public void The_new_messages_and_the_pinned_system_prompt_must_fit_alone()
    {
        var state = State(("user", 10));
        state.State.SystemPrompt = "Be brief.";
        state.State.SystemPromptTokens.O200k = 12;

        Assert.False(ContextPlanner.TrySelect(state.State, state.Items, Encoding, budget: 40, reservedTokens: 29, out _));
        Assert.True(ContextPlanner.TrySelect(state.State, state.Items, Encoding, budget: 40, reservedTokens: 28, out var selection));
        Assert.Equal(new ContextSelection(0, 1, false, 12), selection);
    }

    [Fact]
    public void Summarised_items_are_never_sent_and_the_summary_is_used_when_it_fits()
    {
        var state = State(("user", 10), ("assistant", 10), ("user", 10), ("assistant", 10), ("user", 10), ("assistant", 10));
        Summarize(state, throughSeq: 2, tokens: 15);

        Assert.True(ContextPlanner.TrySelect(state.State, state.Items, Encoding, budget: 1000, reservedTokens: Priming, out var roomy));
        Assert.Equal(new ContextSelection(2, 2, true, 55), roomy);

        // Room for the summary and one turn only: the middle turn is dropped, the summary still leads.
        Assert.True(ContextPlanner.TrySelect(state.State, state.Items, Encoding, budget: Priming + 15 + 25, reservedTokens: Priming, out var tight));
        Assert.Equal(new ContextSelection(2, 4, true, 35), tight);
        Assert.Equal(2, tight.Dropped);

        // No room for the summary: it is left out rather than exceed the budget.
        Assert.True(ContextPlanner.TrySelect(state.State, state.Items, Encoding, budget: Priming + 12, reservedTokens: Priming, out var noSummary));
        Assert.False(noSummary.UseSummary);
        Assert.Equal(6, noSummary.KeepFrom);
    }

    [Fact]
    public void The_summary_folds_everything_older_than_the_low_water_tail()
    {
        // Budget 200: the tail may keep 200 * 0.5 - 3 - 20 = 77 tokens.
        var state = State(("user", 30), ("assistant", 30), ("user", 30), ("assistant", 30), ("user", 20), ("assistant", 20), ("user", 15), ("assistant", 15));

        Assert.Equal((0, 4), ContextPlanner.SelectForSummary(state.State, state.Items, Encoding, 200, Options));

        Summarize(state, throughSeq: 4, tokens: 20);
        Assert.Null(ContextPlanner.SelectForSummary(state.State, state.Items, Encoding, 200, Options));
    }

    [Fact]
    public void One_summary_round_folds_at_most_the_input_bound_ending_at_a_turn()
    {
        var state = State(("user", 30), ("assistant", 30), ("user", 30), ("assistant", 30), ("user", 30), ("assistant", 30), ("user", 5), ("assistant", 5));
        var bounded = new ConversationContextOptions { LowWaterRatio = 0.5, HighWaterRatio = 0.8, SummaryMaxTokens = 20, SummaryMaxInputTokens = 130 };

        // Turns of 60 tokens: two fit the 130-token bound, a third would not.
        Assert.Equal((0, 4), ContextPlanner.SelectForSummary(state.State, state.Items, Encoding, 200, bounded));

        // A first turn longer than the bound is folded alone.
        var tiny = new ConversationContextOptions { LowWaterRatio = 0.5, HighWaterRatio = 0.8, SummaryMaxTokens = 20, SummaryMaxInputTokens = 20 };
        Assert.Equal((0, 2), ContextPlanner.SelectForSummary(state.State, state.Items, Encoding, 200, tiny));
    }

    [Fact]
    public void The_newest_turn_is_never_summarised()
    {
        var state = State(("user", 500), ("assistant", 500));

        Assert.Null(ContextPlanner.SelectForSummary(state.State, state.Items, Encoding, 200, Options));
    }

    [Fact]
    public void First_unsummarized_is_found_by_sequence_even_after_deletions()
    {
        var state = State(("user", 1), ("assistant", 1), ("user", 1), ("assistant", 1), ("user", 1));
        state.Items.RemoveAt(1);
        Summarize(state, throughSeq: 2, tokens: 1);

        Assert.Equal(1, ContextPlanner.FirstUnsummarized(state.State, state.Items));
        Summarize(state, throughSeq: 5, tokens: 1);
        Assert.Equal(4, ContextPlanner.FirstUnsummarized(state.State, state.Items));
    }

    [Fact]
    public void A_working_set_selects_as_the_walk_over_its_entries_does_at_every_budget()
    {
        // Leading replies (the summary ended mid-turn), a tool result, a summary: every rule of the walk is in play.
        var state = State(("user", 10), ("assistant", 10), ("assistant", 7), ("tool", 5), ("user", 12), ("assistant", 9), ("tool", 4), ("user", 6),
            ("assistant", 8));
        Summarize(state, throughSeq: 2, tokens: 15);
        for (var budget = 0; budget <= 120; budget++)
        {
            var working = new WorkingSet(state.Items.Count, 1, [.. state.Items]);

            var walked = ContextPlanner.TrySelect(state.State, state.Items, Encoding, budget, Priming + 2, out var expected);
            var summed = ContextPlanner.TrySelect(state.State, working, Encoding, budget, Priming + 2, out var selection);

            Assert.Equal(walked, summed);
            Assert.Equal(expected, selection);
        }
        // Every unsummarised entry fits from budget 5 + 15 + (7 + 5 + 12 + 9 + 4 + 6 + 8) = 71 on; the prompt still starts at
        // the first user message, without the reply and tool result before it.
        Assert.True(ContextPlanner.TrySelect(state.State, new WorkingSet(state.Items.Count, 1, [.. state.Items]), Encoding, 71, Priming + 2, out var all));
        Assert.Equal(new ContextSelection(2, 4, true, 15 + 12 + 9 + 4 + 6 + 8), all);
    }
}
