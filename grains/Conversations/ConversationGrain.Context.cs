using Microsoft.Extensions.Logging;
using Parley.GrainInterfaces.Conversations;
using Parley.Grains.Conversations.Context;
using Parley.Grains.Conversations.Summaries;
using Parley.Tokenizer;
using Parley.Tokenizer.Chat;

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
        var s = state.State;
        var budget = Math.Min(request.ContextBudget, s.MaxContextTokens ?? int.MaxValue);
        _turnModel = request.Model;
        _turnEncoding = request.Encoding;
        _turnBudget = budget;
        var reserved = ChatTokenCounter.ReplyPrimingTokens + request.NewMessagesTokens;
        if (!ContextPlanner.TrySelect(s, request.Encoding, budget, reserved, out var selection))
        {
            var needed = reserved + ContextPlanner.SystemPromptTokens(s, request.Encoding);
            return new PromptPlan(PromptStatus.TooLong, [], needed, budget, 0, false, s.CarriesRedactedData);
        }

        var systemPrompt = s.SystemPromptMessage();
        var count = (systemPrompt is null ? 0 : 1) + (selection.UseSummary ? 1 : 0) + (s.Items.Count - selection.KeepFrom);
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
        for (var i = selection.KeepFrom; i < s.Items.Count; i++)
        {
            messages[next++] = s.Items[i].ToChatMessage();
        }
        if (selection.Dropped > 0)
        {
            LogDropped(logger, GetPrimaryKeyString(), selection.Dropped, budget);
            // Dropping is the fallback until a summary exists; make sure one is on its way.
            MaybeStartSummary();
        }
        return new PromptPlan(PromptStatus.Ready, messages, selection.StoredTokens + reserved, budget, selection.Dropped, selection.UseSummary,
            s.CarriesRedactedData);
    }

    public async Task<WorkingContext?> GetWorkingContextAsync()
    {
        await RefreshAsync();
        if (!Exists && !await TryRestoreAsync())
        {
            DeactivateOnIdle();
            return null;
        }
        var s = state.State;
        var encoding = s.LastEncoding ?? TiktokenEncoding.O200kBaseName;
        int? budget = s.LastBudget > 0 ? s.LastBudget : s.MaxContextTokens;
        var first = ContextPlanner.FirstUnsummarized(s);
        var keepFrom = first;
        var useSummary = s.Summary is not null;
        if (budget is { } b && ContextPlanner.TrySelect(s, encoding, b, ChatTokenCounter.ReplyPrimingTokens, out var selection))
        {
            keepFrom = selection.KeepFrom;
            useSummary = selection.UseSummary;
        }
        var items = new List<WorkingContextItem>(s.Items.Count - keepFrom);
        var tokens = ChatTokenCounter.ReplyPrimingTokens;
        for (var i = keepFrom; i < s.Items.Count; i++)
        {
            var item = s.Items[i];
            var itemTokens = ConversationTokens.Of(item.Tokens, item.Message, encoding);
            tokens += itemTokens;
            items.Add(new WorkingContextItem(item.Id, item.Role, item.Seq, itemTokens));
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
        return new WorkingContext(GetPrimaryKeyString(), s.OwnerUserId, s.Model, s.LastEncoding, budget, systemPrompt, summary, items, tokens,
            s.Items.Count, keepFrom - first, _summarizing is { IsCompleted: false }, s.LastUsedAt);
    }

    public async Task<bool> ApplySummaryAsync(ConversationSummaryUpdate update)
    {
        await RefreshAsync();
        if (!Exists)
        {
            return false;
        }
        var owner = state.State.OwnerUserId;
        var summary = new StoredSummary
        {
            Text = update.Text,
            Message = ChatMessageConversion.ToSystemMessageJson(SummaryHeading + update.Text),
            CoversThroughSeq = update.CoversThroughSeq,
            SummarizedMessages = update.SummarizedMessages,
            CreatedAt = TimeProvider.GetUtcNow().ToUnixTimeSeconds(),
        };
        var applied = await UpdateAsync(owner, s =>
        {
            // Another silo's summary (or a newer one) won meanwhile: this one extends a summary that is gone.
            if ((s.Summary?.CoversThroughSeq ?? 0) != update.BaseCoversThroughSeq)
            {
                return false;
            }
            s.Summary = summary;
            return true;
        }, notFound: false, changed: applied => applied, isUse: false);
        if (applied)
        {
            LogSummaryApplied(logger, GetPrimaryKeyString(), update.SummarizedMessages, update.CoversThroughSeq);
            // A long backlog is folded in several rounds.
            MaybeStartSummary();
        }
        return applied;
    }

    /// <summary>Remembers the model, encoding and budget of the turn being stored: background summarising aims at them.</summary>
    private void RecordTurnSettings(ConversationState s)
    {
        if (_turnEncoding is null)
        {
            return;
        }
        s.Model ??= _turnModel;
        s.LastEncoding = _turnEncoding;
        s.LastBudget = _turnBudget;
    }

    /// <summary>Counts new items under the turn's encoding before they are stored, so the next prompt only adds numbers.</summary>
    private void CountTurnTokens(List<StoredConversationItem> items)
    {
        if (_turnEncoding is { } encoding)
        {
            foreach (var item in items)
            {
                ConversationTokens.Of(item.Tokens, item.Message, encoding);
            }
        }
    }

    /// <summary>Starts summarising the oldest unsummarised turns when the context has crossed the high-water mark.
    /// The summariser runs outside the grain's turns (the user's turns never wait for it) and hands its result back
    /// through <see cref="ApplySummaryAsync"/>, a turn like any other.</summary>
    private void MaybeStartSummary()
    {
        var s = state.State;
        if (_summarizing is { IsCompleted: false } || s.LastEncoding is not { } encoding || s.LastBudget <= 0
            || TimeProvider.GetUtcNow().ToUnixTimeMilliseconds() < Interlocked.Read(ref _summaryRetryAt))
        {
            return;
        }
        var options = contextOptions.Value;
        if (ContextPlanner.FullContextTokens(s, encoding) <= s.LastBudget * options.HighWaterRatio)
        {
            return;
        }
        if (ContextPlanner.SelectForSummary(s, encoding, s.LastBudget, options) is not var (from, to))
        {
            return;
        }
        var messages = new ChatMessageRecord[to - from];
        for (var i = from; i < to; i++)
        {
            messages[i - from] = s.Items[i].ToChatMessage();
        }
        var request = new ConversationSummaryRequest(GetPrimaryKeyString(), s.Model, s.Summary?.Text, messages, options.SummaryMaxTokens);
        var update = new ConversationSummaryUpdate("", s.Summary?.CoversThroughSeq ?? 0, s.Items[to - 1].Seq, (s.Summary?.SummarizedMessages ?? 0) + messages.Length);
        LogSummaryStarted(logger, GetPrimaryKeyString(), messages.Length);
        _summarizing = Task.Run(() => SummarizeAsync(request, update));
    }

    private async Task SummarizeAsync(ConversationSummaryRequest request, ConversationSummaryUpdate update)
    {
        try
        {
            var text = await summarizer.SummarizeAsync(request, CancellationToken.None).ConfigureAwait(false);
            await GrainFactory.GetGrain<IConversationGrain>(request.ConversationId).ApplySummaryAsync(update with { Text = text }).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            Interlocked.Exchange(ref _summaryRetryAt, TimeProvider.GetUtcNow().Add(contextOptions.Value.SummaryRetryDelay).ToUnixTimeMilliseconds());
            LogSummaryFailed(logger, request.ConversationId, e);
        }
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Conversation {ConversationId}: dropped the {Dropped} oldest unsummarised message(s) to fit {Budget} tokens")]
    private static partial void LogDropped(ILogger logger, string conversationId, int dropped, int budget);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Conversation {ConversationId}: summarising {Messages} message(s) in the background")]
    private static partial void LogSummaryStarted(ILogger logger, string conversationId, int messages);

    [LoggerMessage(Level = LogLevel.Information, Message = "Conversation {ConversationId}: summary now folds in {Messages} message(s), through #{Seq}")]
    private static partial void LogSummaryApplied(ILogger logger, string conversationId, int messages, long seq);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Conversation {ConversationId}: summarising failed; the oldest turns are dropped until a later attempt succeeds")]
    private static partial void LogSummaryFailed(ILogger logger, string conversationId, Exception exception);
}
