using Microsoft.Extensions.Logging;
using Parley.GrainInterfaces.Conversations;
using Parley.Grains.Conversations.Context;
using Orleans.Runtime.Placement;
using Parley.Grains.Conversations.Transcript;

namespace Parley.Grains.Conversations;

/// <summary>Turns: the working set the prompts are built from, and storing each turn exactly once.</summary>
public sealed partial class ConversationGrain
{
    private WorkingSet? _working;
    private long _lastUsedMs;
    private long _lastAccessTicks;
    private IGrainTimer? _idleTimer;

    /// <summary>Turns being answered right now (built, not yet stored), by key.</summary>
    private Dictionary<string, TurnClaim>? _claims;

    public async Task<TurnAppendResult> AppendTurnAsync(string userId, ConversationTurn turn)
    {
        var key = turn.Turn.Key;
        _claims?.Remove(key);
        if (!await LoadAsync(userId))
        {
            return TurnAppendResult.NotFound;
        }
        var working = await WorkingSetAsync();
        if (working.TryGetTurn(key, out var known))
        {
            return new TurnAppendResult(TurnAppendStatus.AlreadyStored, known.Turn!.ToStoredTurn(known));
        }
        var entries = new List<TranscriptEntry>(turn.UserMessages.Count + 1);
        foreach (var message in turn.UserMessages)
        {
            entries.Add(ToEntry(message));
        }
        entries.Add(ToEntry(turn.Assistant, new TurnMark(key, turn.Turn.MessagesHash, turn.UserMessages.Count + 1, turn.Reply)));
        CountTurnTokens(entries);

        var appended = await AppendEntriesAsync(entries, key, timeProvider.GetUtcNow());
        if (appended.ConversationGone)
        {
            return TurnAppendResult.NotFound;
        }
        if (!appended.Appended)
        {
            return new TurnAppendResult(TurnAppendStatus.AlreadyStored, appended.Stored is { Turn: { } mark } reply ? mark.ToStoredTurn(reply) : null);
        }
        await RecordTurnSettingsAsync(userId);
        MaybeStartSummary();
        FollowTurns(turn.Turn.Holder);
        return TurnAppendResult.Appended;
    }

    /// <summary>Moves the activation to the silo the conversation's turns are served on, when that is another live one
    /// (a conversation created through one silo and continued through another, or rerouted after a silo left): once idle,
    /// Orleans deactivates it here and places it there, where the next turn reads its working set back in one round
    /// trip.</summary>
    private void FollowTurns(SiloAddress? holder)
    {
        if (!contextOptions.Value.MoveToServingSilo || holder is null || holder.Equals(localSilo.SiloAddress)
            || membership.CurrentSnapshot.GetSiloStatus(holder) != SiloStatus.Active)
        {
            return;
        }
        RequestContext.Set(IPlacementDirector.PlacementHintKey, holder);
        MigrateOnIdle();
        RequestContext.Remove(IPlacementDirector.PlacementHintKey);
    }

    public Task ReleaseTurnAsync(TurnIdentity turn)
    {
        if (_claims is { } claims && claims.TryGetValue(turn.Key, out var claim) && claim.RequestId == turn.RequestId)
        {
            claims.Remove(turn.Key);
        }
        return Task.CompletedTask;
    }

    /// <summary>What a turn's key says before its prompt is built: null for a new turn (now claimed), else the plan to
    /// answer instead (the stored turn, a turn in flight, or a key reused for other messages).</summary>
    private PromptPlan? ClaimTurn(WorkingSet working, TurnIdentity turn)
    {
        if (working.TryGetTurn(turn.Key, out var reply))
        {
            return reply.Turn!.MessagesHash != turn.MessagesHash
                ? PromptPlan.Of(PromptStatus.TurnKeyReused)
                : PromptPlan.Of(PromptStatus.Replay) with { Replay = reply.Turn.ToStoredTurn(reply), Pseudonyms = PseudonymList() };
        }
        var now = timeProvider.GetUtcNow();
        _claims ??= new Dictionary<string, TurnClaim>(StringComparer.Ordinal);
        if (_claims.TryGetValue(turn.Key, out var claim) && claim.RequestId != turn.RequestId && IsLive(claim, now))
        {
            return claim.MessagesHash != turn.MessagesHash ? PromptPlan.Of(PromptStatus.TurnKeyReused) : PromptPlan.Of(PromptStatus.TurnInProgress);
        }
        _claims[turn.Key] = new TurnClaim(turn.MessagesHash, turn.RequestId, turn.Holder, now);
        return null;
    }

    /// <summary>A claim holds while its silo lives and the turn could still be running: a silo that died mid-turn
    /// never stores it, so its claim must not block the client's retry.</summary>
    private bool IsLive(TurnClaim claim, DateTimeOffset now)
    {
        if (now - claim.Since > contextOptions.Value.TurnClaimTimeout)
        {
            return false;
        }
        // A silo the membership no longer lists as active (dead, leaving, or gone from the table) answers nothing more.
        return claim.Holder is not { } holder || membership.CurrentSnapshot.GetSiloStatus(holder) == SiloStatus.Active;
    }

    /// <summary>The working set, read from the transcript in one round trip when the activation has none (first use,
    /// or after it sat idle).</summary>
    private async Task<WorkingSet> WorkingSetAsync()
    {
        Interlocked.Exchange(ref _lastAccessTicks, timeProvider.GetTimestamp());
        if (_working is { } working)
        {
            return working;
        }
        var tail = await transcript.ReadTailAsync(Id, state.State.FirstUnsummarizedSeq);
        _lastUsedMs = Math.Max(_lastUsedMs, tail.UsedAtMs);
        return Hold(new WorkingSet(tail.LastSeq, tail.FromSeq, tail.Entries is List<TranscriptEntry> list ? list : [.. tail.Entries]));
    }

    /// <summary>Keeps <paramref name="working"/> as the activation's working set, under the idle timer that lets it go:
    /// every working set an activation holds, read back or made by <see cref="CreateAsync"/>, is released when idle.</summary>
    private WorkingSet Hold(WorkingSet working)
    {
        Interlocked.Exchange(ref _lastAccessTicks, timeProvider.GetTimestamp());
        _working = working;
        StartIdleTimer();
        return working;
    }

    /// <summary>Appends entries (a turn, items, the first items) and keeps the working set in step. When the numbers
    /// given are not the ones the working set expects, a second activation appended meanwhile: the working set is
    /// dropped and read again on the next turn.</summary>
    private async Task<TranscriptAppend> AppendEntriesAsync(List<TranscriptEntry> entries, string? turnKey, DateTimeOffset now)
    {
        var working = _working;
        var contextFrom = working?.FromSeq ?? state.State.FirstUnsummarizedSeq;
        var appended = await transcript.AppendAsync(Id, entries, turnKey, new TranscriptMarks(contextFrom, now.ToUnixTimeMilliseconds()));
        if (appended.ConversationGone)
        {
            // Deleted by another activation: this one's state is stale.
            await ReadStateAsync();
            return appended;
        }
        if (!appended.Appended)
        {
            return appended;
        }
        _lastUsedMs = now.ToUnixTimeMilliseconds();
        activityIndex.Touch(Id, now);
        if (working is not null)
        {
            if (appended.FirstSeq == working.LastSeq + 1)
            {
                working.Append(entries);
            }
            else
            {
                LogTranscriptMoved(logger, Id, working.LastSeq + 1, appended.FirstSeq);
                _working = null;
            }
        }
        return appended;
    }

    /// <summary>Drops the working set of a conversation left alone for <see cref="ConversationContextOptions.WorkingSetIdleTimeout"/>:
    /// an idle activation then holds its small state only, and reads its working context back on its next turn.</summary>
    private void StartIdleTimer()
    {
        if (_idleTimer is not null)
        {
            return;
        }
        var period = contextOptions.Value.WorkingSetIdleTimeout;
        _idleTimer = this.RegisterGrainTimer(static (grain, _) =>
        {
            grain.ReleaseIdleWorkingSet();
            return Task.CompletedTask;
        }, this, new GrainTimerCreationOptions(period, period) { KeepAlive = false });
    }

    private void ReleaseIdleWorkingSet()
    {
        var idle = timeProvider.GetElapsedTime(Interlocked.Read(ref _lastAccessTicks));
        if (idle < contextOptions.Value.WorkingSetIdleTimeout || _working is null || _summarizing is { IsCompleted: false })
        {
            return;
        }
        _working = null;
        // Turns still in flight keep their claims (a long stream leaves the grain idle); lapsed ones go.
        var now = timeProvider.GetUtcNow();
        foreach (var (key, claim) in _claims ?? [])
        {
            if (!IsLive(claim, now))
            {
                _claims!.Remove(key);
            }
        }
        _idleTimer?.Dispose();
        _idleTimer = null;
        LogWorkingSetReleased(logger, Id, idle);
    }

    /// <summary>Counts new entries under the turn's encoding before they are stored, so the next prompt only adds numbers.</summary>
    private void CountTurnTokens(List<TranscriptEntry> entries)
    {
        if (_turnEncoding is { } encoding)
        {
            foreach (var entry in entries)
            {
                entry.TokensUnder(encoding);
            }
        }
    }

    private readonly record struct TurnClaim(ulong MessagesHash, string RequestId, SiloAddress? Holder, DateTimeOffset Since);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Conversation {ConversationId}: idle for {Idle}; its working set is let go until its next turn")]
    private static partial void LogWorkingSetReleased(ILogger logger, string conversationId, TimeSpan idle);

    [LoggerMessage(Level = LogLevel.Information, Message = "Conversation {ConversationId}: the transcript moved on elsewhere (expected #{Expected} next, got #{Got}); its working set will be read again")]
    private static partial void LogTranscriptMoved(ILogger logger, string conversationId, long expected, long got);
}
