using Parley.Grains.Conversations.Transcript;
using Parley.Tokenizer.Chat;

namespace Parley.Grains.Conversations.Context;

/// <summary>The stored part of a prompt: the entries (indexes into the working set) from <see cref="KeepFrom"/> on,
/// after the pinned system prompt and (when <see cref="UseSummary"/>) the summary. Entries before
/// <see cref="FirstUnsummarized"/> live on in the summary; those from there to <see cref="KeepFrom"/> did not fit and
/// are dropped.</summary>
internal readonly record struct ContextSelection(int FirstUnsummarized, int KeepFrom, bool UseSummary, int StoredTokens)
{
    public int Dropped => KeepFrom - FirstUnsummarized;
}

/// <summary>Chooses what of a conversation goes into a prompt of a given budget, and what to summarise next, from the
/// state (system prompt, summary) and a run of transcript entries ordered by sequence number. Only whole messages are
/// ever kept or dropped, and the kept part starts at a turn boundary, so an assistant's tool call is never sent
/// without its results or a tool result without its call.</summary>
internal static class ContextPlanner
{
    /// <summary>Selects the newest turns that fit beside <paramref name="reservedTokens"/> (reply priming and the new
    /// messages). False when the pinned system prompt and the reserved tokens alone exceed the budget.</summary>
    public static bool TrySelect(ConversationState state, IReadOnlyList<TranscriptEntry> items, string encoding, int budget, int reservedTokens,
        out ContextSelection selection)
        => TrySelect(state, items, encoding, budget, reservedTokens, unsummarizedTokens: null, out selection);

    /// <summary><see cref="TrySelect(ConversationState, IReadOnlyList{TranscriptEntry}, string, int, int, out ContextSelection)"/>
    /// of a working set: when all its unsummarised entries fit (the working set's running total says so), the selection
    /// is found without a walk over them, so a turn's prompt costs what the turn weighs.</summary>
    public static bool TrySelect(ConversationState state, WorkingSet working, string encoding, int budget, int reservedTokens,
        out ContextSelection selection)
        => TrySelect(state, working.Entries, encoding, budget, reservedTokens,
            working.TokensFrom(FirstUnsummarized(state, working.Entries), encoding), out selection);

    private static bool TrySelect(ConversationState state, IReadOnlyList<TranscriptEntry> items, string encoding, int budget, int reservedTokens,
        int? unsummarizedTokens, out ContextSelection selection)
    {
        var fixedTokens = reservedTokens + SystemPromptTokens(state, encoding);
        var first = FirstUnsummarized(state, items);
        if (fixedTokens > budget)
        {
            selection = new ContextSelection(first, items.Count, false, 0);
            return false;
        }
        var summaryTokens = SummaryTokens(state, encoding);
        var useSummary = state.Summary is not null && fixedTokens + summaryTokens <= budget;
        var available = budget - fixedTokens - (useSummary ? summaryTokens : 0);
        var keepFrom = items.Count;
        var kept = 0;
        if (unsummarizedTokens is { } all && all <= available)
        {
            // Everything fits: the prompt starts at the first turn start.
            keepFrom = first;
            kept = all;
            while (keepFrom < items.Count && !IsTurnStart(items[keepFrom].Role))
            {
                kept -= items[keepFrom].TokensUnder(encoding);
                keepFrom++;
            }
        }
        else
        {
            var total = 0;
            for (var i = items.Count - 1; i >= first; i--)
            {
                total += items[i].TokensUnder(encoding);
                if (total > available)
                {
                    break;
                }
                if (IsTurnStart(items[i].Role))
                {
                    keepFrom = i;
                    kept = total;
                }
            }
        }
        var stored = fixedTokens - reservedTokens + (useSummary ? summaryTokens : 0) + kept;
        selection = new ContextSelection(first, keepFrom, useSummary, stored);
        return true;
    }

    /// <summary>Tokens of the whole working context if nothing were dropped: reply priming, system prompt, summary and
    /// every unsummarised item. Crossing the high-water mark with it starts a summary.</summary>
    public static int FullContextTokens(ConversationState state, IReadOnlyList<TranscriptEntry> items, string encoding)
    {
        var tokens = ChatTokenCounter.ReplyPrimingTokens + SystemPromptTokens(state, encoding) + SummaryTokens(state, encoding);
        for (var i = FirstUnsummarized(state, items); i < items.Count; i++)
        {
            tokens += items[i].TokensUnder(encoding);
        }
        return tokens;
    }

    /// <summary><see cref="FullContextTokens(ConversationState, IReadOnlyList{TranscriptEntry}, string)"/> of a working set,
    /// its entries' share from the working set's running total: what the check after every turn uses.</summary>
    public static int FullContextTokens(ConversationState state, WorkingSet working, string encoding)
        => ChatTokenCounter.ReplyPrimingTokens + SystemPromptTokens(state, encoding) + SummaryTokens(state, encoding)
            + working.TokensFrom(FirstUnsummarized(state, working.Entries), encoding);

    /// <summary>The unsummarised items to fold into the summary next, [From, To): everything older than the recent
    /// turns that fit in the low-water share of the budget (beside the system prompt and a full-length summary),
    /// bounded by <paramref name="maxInputTokens"/>, ending at a turn boundary. Null if nothing can be folded.</summary>
    public static (int From, int To)? SelectForSummary(ConversationState state, IReadOnlyList<TranscriptEntry> items, string encoding, int budget,
        ConversationContextOptions options)
    {
        var first = FirstUnsummarized(state, items);
        var tailAllowance = (int)(budget * options.LowWaterRatio) - ChatTokenCounter.ReplyPrimingTokens
            - SystemPromptTokens(state, encoding) - options.SummaryMaxTokens;

        // The recent tail stays verbatim: at least the newest turn, and older turns while they fit the allowance.
        var tailStart = -1;
        var tail = 0;
        for (var i = items.Count - 1; i >= first; i--)
        {
            tail += items[i].TokensUnder(encoding);
            if (tail > tailAllowance && tailStart >= 0)
            {
                break;
            }
            if (IsTurnStart(items[i].Role))
            {
                tailStart = i;
            }
        }
        if (tailStart <= first)
        {
            // Everything unsummarised fits the tail, or is the newest turn.
            return null;
        }

        // Fold from the oldest unsummarised item up to the last turn boundary within the summariser's input bound
        // (tailStart is one); a first turn longer than the bound is folded alone.
        var end = -1;
        var input = 0;
        for (var i = first; i <= tailStart; i++)
        {
            if (i > first && IsTurnStart(items[i].Role))
            {
                if (input > options.SummaryMaxInputTokens)
                {
                    end = end < 0 ? i : end;
                    break;
                }
                end = i;
            }
            if (i < tailStart)
            {
                input += items[i].TokensUnder(encoding);
            }
        }
        return (first, end);
    }

    /// <summary>The index of the oldest entry the summary does not cover (sequence numbers grow with the index).</summary>
    public static int FirstUnsummarized(ConversationState state, IReadOnlyList<TranscriptEntry> items)
    {
        if (state.Summary is not { } summary)
        {
            return 0;
        }
        int low = 0, high = items.Count;
        while (low < high)
        {
            var middle = (low + high) >>> 1;
            if (items[middle].Seq <= summary.CoversThroughSeq)
            {
                low = middle + 1;
            }
            else
            {
                high = middle;
            }
        }
        return low;
    }

    public static int SystemPromptTokens(ConversationState state, string encoding)
        => state.SystemPrompt is null ? 0 : ConversationTokens.Of(state.SystemPromptTokens, state.SystemPromptMessage()!.Utf8Json, encoding);

    public static int SummaryTokens(ConversationState state, string encoding)
        => state.Summary is { } summary ? ConversationTokens.Of(summary.Tokens, summary.Message, encoding) : 0;

    /// <summary>A prompt may start at a message the client sent; an assistant reply or a tool result belongs to the
    /// message before it.</summary>
    public static bool IsTurnStart(string role)
        => role is not ("assistant" or "tool" or "function");
}
