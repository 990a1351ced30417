using Microsoft.Extensions.Logging;
using Parley.GrainInterfaces.Conversations;
using Parley.Grains.Conversations.Context;
using Parley.Tokenizer;
using Parley.Tokenizer.Chat;
using Parley.ServiceDefaults.Logging;

namespace Parley.Grains.Conversations;

/// <summary>The working context: prompts that fit the budget, and the rolling summary made in the background.</summary>
public sealed partial class ConversationGrain
{
    private const string SummaryHeading = "Summary of the earlier part of this conversation (older turns, condensed):\n";

    /// <summary>The model of the last prompt built here, recorded with the next turn it belongs to.</summary>
    private string? _turnModel;
    private string? _turnEncoding;
    private int _turnBudget;

    private Task? _summarizing;
    private long _summaryRetryAt;

    public async Task<PromptPlan> BuildPromptAsync(string userId, PromptRequest request)
    {
        if (!await LoadAsync(userId))
        {
            return PromptPlan.NotFound;
        }
        var working = await WorkingSetAsync();
        if (request.Turn is { } turn && ClaimTurn(working, turn) is { } answered)
        {
            return answered;
        }
        var s = state.State;
        var budget = Math.Min(request.ContextBudget, s.MaxContextTokens ?? int.MaxValue);
        _turnModel = request.Model;
        _turnEncoding = request.Encoding;
        _turnBudget = budget;
        var reserved = ChatTokenCounter.ReplyPrimingTokens + request.NewMessagesTokens;
        if (!ContextPlanner.TrySelect(s, working, request.Encoding, budget, reserved, out var selection))
        {
            if (request.Turn is { } refused)
            {
                _claims?.Remove(refused.Key);
            }
            var needed = reserved + ContextPlanner.SystemPromptTokens(s, request.Encoding);
            return new PromptPlan(PromptStatus.TooLong, [], needed, budget, 0, false, s.CarriesRedactedData);
        }
        if (selection.KeepFrom == selection.FirstUnsummarized && working.FromSeq > s.FirstUnsummarizedSeq && budget > working.TrimmedForBudget)
        {
            // Everything held fits and older unsummarised entries are not held (a smaller budget, or an earlier
            // activation, let them go): a prompt of this budget may take some of them.
            var older = await transcript.ReadRangeAsync(Id, s.FirstUnsummarizedSeq, working.FromSeq - 1);
            working.Prepend(older, s.FirstUnsummarizedSeq);
            ContextPlanner.TrySelect(s, working, request.Encoding, budget, reserved, out selection);
        }

        var systemPrompt = s.SystemPromptMessage();
        var entries = working.Entries;
        var count = (systemPrompt is null ? 0 : 1) + (selection.UseSummary ? 1 : 0) + (entries.Count - selection.KeepFrom);
        var messages = new ChatMessageRecord[count];
        var next = 0;
        if (systemPrompt is not null)
        {
            messages[next++] = systemPrompt;
        }
        if (selection.UseSummary)
        {
            messages[next++] = s.Summary!.ToChatMessage();
        }
        for (var i = selection.KeepFrom; i < entries.Count; i++)
        {
            messages[next++] = entries[i].ToChatMessage();
        }
        // Unsummarised entries not held (let go by an earlier turn) are dropped from this prompt too.
        var dropped = selection.Dropped + (int)Math.Max(0, working.FromSeq - s.FirstUnsummarizedSeq);
        if (selection.Dropped > 0)
        {
            LogDropped(logger, Id, selection.Dropped, budget);
            // Entries that no prompt of this budget sends are let go; dropping is the fallback until a summary exists, so
            // make sure one is on its way.
            working.TrimBefore(selection.KeepFrom, budget);
            MaybeStartSummary();
        }
        return new PromptPlan(PromptStatus.Ready, messages, selection.StoredTokens + reserved, budget, dropped, selection.UseSummary,
            s.CarriesRedactedData, Pseudonyms: PseudonymList());
    }

    public async Task<WorkingContext?> GetWorkingContextAsync()
    {
        await RevalidateStateAsync();
        if (!Exists && !await TryRestoreAsync())
        {
            DeactivateOnIdle();
            return null;
        }
        var working = await WorkingSetAsync();
        var s = state.State;
        var encoding = s.LastEncoding ?? TiktokenEncoding.O200kBaseName;
        int? budget = s.LastBudget > 0 ? s.LastBudget : s.MaxContextTokens;
        var entries = working.Entries;
        var first = ContextPlanner.FirstUnsummarized(s, entries);
        var keepFrom = first;
        var useSummary = s.Summary is not null;
        if (budget is { } b && ContextPlanner.TrySelect(s, entries, encoding, b, ChatTokenCounter.ReplyPrimingTokens, out var selection))
        {
            keepFrom = selection.KeepFrom;
            useSummary = selection.UseSummary;
        }
        var items = new List<WorkingContextItem>(entries.Count - keepFrom);
        var tokens = ChatTokenCounter.ReplyPrimingTokens;
        for (var i = keepFrom; i < entries.Count; i++)
        {
            var entry = entries[i];
            var entryTokens = entry.TokensUnder(encoding);
            tokens += entryTokens;
            items.Add(new WorkingContextItem(entry.Id, entry.Role, entry.Seq, entryTokens));
        }
        WorkingContextSystemPrompt? systemPrompt = null;
        if (s.SystemPrompt is { } text)
        {
            var systemTokens = ContextPlanner.SystemPromptTokens(s, encoding);
            tokens += systemTokens;
            systemPrompt = new WorkingContextSystemPrompt(text, systemTokens);
        }
        WorkingContextSummary? summary = null;
        if (s.Summary is { } stored)
        {
            var summaryTokens = ContextPlanner.SummaryTokens(s, encoding);
            tokens += useSummary ? summaryTokens : 0;
            summary = new WorkingContextSummary(stored.Text, summaryTokens, stored.CoversThroughSeq, stored.SummarizedMessages, stored.CreatedAt);
        }
        // Dropped: every unsummarised entry the prompt leaves out, held or not.
        var held = entries.Count - first;
        var unsummarized = working.LastSeq - s.FirstUnsummarizedSeq + 1;
        var dropped = (int)Math.Max(0, unsummarized - held) + (keepFrom - first);
        return new WorkingContext(Id, s.OwnerUserId, s.Model, s.LastEncoding, budget, systemPrompt, summary, items, tokens,
            (int)working.LastSeq, dropped, _summarizing is { IsCompleted: false }, _lastUsedMs, localSilo.SiloAddress.ToString());
    }

    public async Task<bool> ApplySummaryAsync(ConversationSummaryUpdate update)
    {
        await RevalidateStateAsync();
        if (!Exists)
        {
            return false;
        }
        var summary = new StoredSummary
        {
            Text = update.Text,
            Message = ChatMessageConversion.ToSystemMessageJson(SummaryHeading + update.Text),
            CoversThroughSeq = update.CoversThroughSeq,
            SummarizedMessages = update.SummarizedMessages,
            CreatedAt = timeProvider.GetUtcNow().ToUnixTimeSeconds(),
        };
        var applied = await UpdateStateAsync(state.State.OwnerUserId, s =>
        {
            // Another activation's summary (or a newer one) won meanwhile: this one extends a summary that is gone.
            if ((s.Summary?.CoversThroughSeq ?? 0) != update.BaseCoversThroughSeq)
            {
                return false;
            }
            s.Summary = summary;
            return true;
        });
        if (applied)
        {
            _working?.TrimThrough(update.CoversThroughSeq);
            LogSummaryApplied(logger, Id, update.SummarizedMessages, update.CoversThroughSeq);
            // A long backlog is folded in several rounds.
            MaybeStartSummary();
        }
        return applied;
    }

    /// <summary>Remembers the model, encoding and budget of the turn just stored: background summarising aims at them.
    /// Written only when they change (a conversation's first turn, or a turn on another model).</summary>
    private async Task RecordTurnSettingsAsync(string userId)
    {
        var s = state.State;
        if (_turnEncoding is not { } encoding || (s.Model is not null && s.LastEncoding == encoding && s.LastBudget == _turnBudget))
        {
            return;
        }
        var (model, budget) = (_turnModel, _turnBudget);
        try
        {
            await UpdateStateAsync(userId, fresh =>
            {
                fresh.Model ??= model;
                fresh.LastEncoding = encoding;
                fresh.LastBudget = budget;
                return true;
            });
        }
        catch (Exception e) when (e is not InconsistentStateException)
        {
            // The turn is stored; what summarising aims at is recorded with a later turn.
            LogTurnSettingsNotSaved(logger, Id, RedactedException.Of(e));
        }
    }

    /// <summary>Starts summarising the oldest unsummarised entries when the context has crossed the high-water mark or
    /// entries were already let go for lack of room. The summariser runs outside the grain's turns (the user's turns
    /// never wait for it), reads what it folds from the transcript, and hands its result back through
    /// <see cref="ApplySummaryAsync"/>, a call like any other.</summary>
    private void MaybeStartSummary()
    {
        var s = state.State;
        if (_summarizing is { IsCompleted: false } || _working is not { } working || s.LastEncoding is not { } encoding || s.LastBudget <= 0
            || timeProvider.GetUtcNow().ToUnixTimeMilliseconds() < Interlocked.Read(ref _summaryRetryAt))
        {
            return;
        }
        var options = contextOptions.Value;
        var unheld = working.FromSeq > s.FirstUnsummarizedSeq;
        if (!unheld && ContextPlanner.FullContextTokens(s, working, encoding) <= s.LastBudget * options.HighWaterRatio)
        {
            return;
        }
        // A snapshot of what selecting and folding need: the background task never touches the grain's own state.
        var snapshot = new ConversationState
        {
            SystemPrompt = s.SystemPrompt,
            SystemPromptTokens = s.SystemPromptTokens,
            Summary = s.Summary,
            Model = s.Model,
            LastEncoding = encoding,
            LastBudget = s.LastBudget,
        };
        var (id, lastSeq, retryDelay) = (Id, working.LastSeq, options.SummaryRetryDelay);
        _summarizing = Task.Run(async () =>
        {
            if (!await summaries.RunAsync(id, snapshot, lastSeq))
            {
                Interlocked.Exchange(ref _summaryRetryAt, timeProvider.GetUtcNow().Add(retryDelay).ToUnixTimeMilliseconds());
            }
        });
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Conversation {ConversationId}: dropped the {Dropped} oldest unsummarised message(s) to fit {Budget} tokens")]
    private static partial void LogDropped(ILogger logger, string conversationId, int dropped, int budget);

    [LoggerMessage(Level = LogLevel.Information, Message = "Conversation {ConversationId}: summary now folds in {Messages} message(s), through #{Seq}")]
    private static partial void LogSummaryApplied(ILogger logger, string conversationId, int messages, long seq);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Conversation {ConversationId}: the turn's model and budget could not be saved; a later turn records them")]
    private static partial void LogTurnSettingsNotSaved(ILogger logger, string conversationId, Exception exception);
}
