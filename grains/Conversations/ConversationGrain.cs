using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Parley.GrainInterfaces.Conversations;
using Parley.Grains.Conversations.Context;
using Parley.Grains.Conversations.Lifecycle;
using Parley.Grains.Conversations.Summaries;
using Parley.Grains.Conversations.Transcript;

namespace Parley.Grains.Conversations;

/// <summary>One conversation. Orleans keeps one activation per conversation, and the activation is authoritative while
/// it lives: it reads its small state when activated and its working context when first needed, and never reads storage
/// before a call. The transcript is an append-only log beside the state (<see cref="ITranscriptStore"/>); a turn appends
/// its entries and nothing else. Storage stays the referee for the brief moments when membership changes and a second
/// activation may exist: state writes carry Orleans' ETag (a stale one fails and the change is re-applied on the fresh
/// state), a turn key is stored at most once, and a transcript append that finds entries it did not know drops the
/// activation's working set so the next turn reads the truth. It is placed on the silo that first calls it, and moves to
/// the silo its turns come from when that is another one: the front end sends every request of a conversation to one
/// silo, so its calls stay local.</summary>
[GrainType(GrainTypeName)]
[Orleans.Placement.PreferLocalPlacement]
public sealed partial class ConversationGrain(
    [PersistentState("conversation", GrainStorage.Name)] IPersistentState<ConversationState> state,
    ITranscriptStore transcript,
    IOptions<ConversationContextOptions> contextOptions,
    ConversationSummaryRunner summaries,
    IConversationActivityIndex activityIndex,
    IConversationArchive archive,
    IClusterMembershipService membership,
    ILocalSiloDetails localSilo,
    TimeProvider timeProvider,
    ConversationMetrics metrics,
    ILogger<ConversationGrain> logger) : Grain, IConversationGrain
{
    public const string GrainTypeName = "conversation";

    /// <summary>Bound on re-applying one state change under contention; each retry means another writer made progress.</summary>
    public const int MaxWriteAttempts = 16;

    private const string ItemIdPrefix = "msg_";

    /// <summary>A state write failed for a reason other than a stale ETag: the state in memory may hold a change storage
    /// does not, so it is read again before the next call relies on it.</summary>
    private bool _stateSuspect;

    private string Id => this.GetPrimaryKeyString();

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        metrics.Activated();
        return base.OnActivateAsync(cancellationToken);
    }

    public override Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        metrics.Deactivated();
        return base.OnDeactivateAsync(reason, cancellationToken);
    }

    public async Task<ConversationInfo?> CreateAsync(string userId, IReadOnlyDictionary<string, string> metadata, IReadOnlyList<NewConversationItem> items,
        ConversationSettings settings)
    {
        await RevalidateStateAsync();
        if (Exists || await archive.GetAsync(Id) is not null)
        {
            return null;
        }
        var now = timeProvider.GetUtcNow();
        state.State = new ConversationState
        {
            OwnerUserId = userId,
            CreatedAt = now.ToUnixTimeSeconds(),
            Metadata = new Dictionary<string, string>(metadata),
            Model = settings.Model,
            SystemPrompt = settings.SystemPrompt,
            MaxContextTokens = settings.MaxContextTokens,
        };
        try
        {
            await WriteStateAsync();
        }
        catch (InconsistentStateException)
        {
            // Another activation created this id first: the caller retries with a fresh id.
            await ReadStateAsync();
            return null;
        }
        // The state exists before its first entries: a transcript only grows under an existing conversation.
        var entries = ToEntries(items);
        await AppendEntriesAsync(entries, turnKey: null, now);
        Hold(new WorkingSet(entries.Count, 1, entries));
        activityIndex.Touch(Id, now);
        return ToInfo();
    }

    public async Task<ConversationInfo?> GetAsync(string userId)
        => await LoadAsync(userId) ? ToInfo() : null;

    public async Task<ConversationInfo?> UpdateAsync(string userId, IReadOnlyDictionary<string, string>? metadata, ConversationSettings settings)
    {
        if (!await LoadAsync(userId))
        {
            return null;
        }
        var updated = await UpdateStateAsync(userId, s =>
        {
            if (metadata is not null)
            {
                // Replaced, never mutated: a ConversationInfo handed out earlier keeps the dictionary it was given.
                s.Metadata = new Dictionary<string, string>(metadata);
            }
            s.Model = settings.Model ?? s.Model;
            s.SystemPrompt = settings.SystemPrompt ?? s.SystemPrompt;
            s.MaxContextTokens = settings.MaxContextTokens ?? s.MaxContextTokens;
            return true;
        });
        if (!updated)
        {
            return null;
        }
        await TouchAsync();
        return ToInfo();
    }

    public async Task<bool> DeleteAsync(string userId)
    {
        if (!await LoadAsync(userId))
        {
            return false;
        }
        // The transcript goes first: a crash in between leaves an empty conversation the user can delete again, never
        // a transcript without its conversation.
        await transcript.DeleteAsync(Id);
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await state.ClearStateAsync();
                break;
            }
            catch (InconsistentStateException) when (attempt < MaxWriteAttempts)
            {
                LogWriteConflict(logger, Id, attempt);
                await ReadStateAsync();
                if (!IsOwnedBy(userId))
                {
                    return false;
                }
            }
        }
        // A copy left behind by an interrupted restore must not bring the conversation back.
        await archive.DeleteAsync(Id);
        await activityIndex.RemoveAsync(Id);
        _working = null;
        DeactivateOnIdle();
        return true;
    }

    public async Task<IReadOnlyList<ConversationItem>?> AddItemsAsync(string userId, IReadOnlyList<NewConversationItem> items)
    {
        if (!await LoadAsync(userId))
        {
            return null;
        }
        var entries = ToEntries(items);
        var appended = await AppendEntriesAsync(entries, turnKey: null, timeProvider.GetUtcNow());
        return appended.ConversationGone ? null : entries.ConvertAll(e => e.ToItem());
    }

    public async Task<ConversationItemPage> ListItemsAsync(string userId, ConversationItemQuery query)
    {
        if (!await LoadAsync(userId))
        {
            return new ConversationItemPage(ConversationLookupStatus.ConversationNotFound, [], false);
        }
        var page = await transcript.ListAsync(Id, query.After, query.Order == ItemOrder.Ascending, query.Limit);
        if (!page.AfterFound)
        {
            return new ConversationItemPage(ConversationLookupStatus.ItemNotFound, [], false);
        }
        var items = new List<ConversationItem>(page.Entries.Count);
        foreach (var entry in page.Entries)
        {
            items.Add(entry.ToItem());
        }
        return new ConversationItemPage(ConversationLookupStatus.Found, items, page.HasMore);
    }

    public async Task<ConversationItemResult> GetItemAsync(string userId, string itemId)
    {
        if (!await LoadAsync(userId))
        {
            return new ConversationItemResult(ConversationLookupStatus.ConversationNotFound, null);
        }
        var entry = await transcript.GetAsync(Id, itemId);
        return entry is null
            ? new ConversationItemResult(ConversationLookupStatus.ItemNotFound, null)
            : new ConversationItemResult(ConversationLookupStatus.Found, entry.ToItem());
    }

    public async Task<ConversationItemDeletion> DeleteItemAsync(string userId, string itemId)
    {
        if (!await LoadAsync(userId))
        {
            return new ConversationItemDeletion(ConversationLookupStatus.ConversationNotFound, null);
        }
        if (!await transcript.RemoveAsync(Id, itemId))
        {
            return new ConversationItemDeletion(ConversationLookupStatus.ItemNotFound, null);
        }
        _working?.Remove(itemId);
        await TouchAsync();
        return new ConversationItemDeletion(ConversationLookupStatus.Found, ToInfo());
    }

    private bool Exists => state.RecordExists && state.State.OwnerUserId.Length > 0;

    private bool IsOwnedBy(string userId) => Exists && string.Equals(state.State.OwnerUserId, userId, StringComparison.Ordinal);

    /// <summary>Whether the conversation exists for this user, restoring it from the archive if it was archived. A
    /// missing conversation does not keep its activation: ids probed by clients must not pin memory.</summary>
    private async Task<bool> LoadAsync(string userId)
    {
        await RevalidateStateAsync();
        if (!Exists && !await TryRestoreAsync())
        {
            DeactivateOnIdle();
            return false;
        }
        return IsOwnedBy(userId);
    }

    private async Task RevalidateStateAsync()
    {
        if (_stateSuspect)
        {
            await ReadStateAsync();
        }
    }

    /// <summary>Applies <paramref name="change"/> and writes the state. On a stale ETag (a second activation wrote
    /// since) re-reads and re-applies, unless the conversation is gone for this user meanwhile. False when it is gone,
    /// or when <paramref name="change"/> declines (returns false) on the state it is given.</summary>
    private async Task<bool> UpdateStateAsync(string userId, Func<ConversationState, bool> change)
    {
        for (var attempt = 1; ; attempt++)
        {
            if (!change(state.State))
            {
                return false;
            }
            try
            {
                await WriteStateAsync();
                return true;
            }
            catch (InconsistentStateException) when (attempt < MaxWriteAttempts)
            {
                LogWriteConflict(logger, Id, attempt);
                await ReadStateAsync();
                if (!IsOwnedBy(userId))
                {
                    return false;
                }
            }
        }
    }

    private async Task ReadStateAsync()
    {
        await state.ReadStateAsync();
        _stateSuspect = false;
        // The working set was built against the state that was replaced.
        _working = null;
        _pseudonyms = null;
    }

    private async Task WriteStateAsync()
    {
        try
        {
            await state.WriteStateAsync();
        }
        catch (Exception e) when (e is not InconsistentStateException)
        {
            _stateSuspect = true;
            throw;
        }
    }

    private async Task TouchAsync()
    {
        var now = timeProvider.GetUtcNow();
        _lastUsedMs = now.ToUnixTimeMilliseconds();
        await transcript.TouchAsync(Id, _lastUsedMs);
        activityIndex.Touch(Id, now);
    }

    private ConversationInfo ToInfo() => new(Id, state.State.CreatedAt, state.State.Metadata, state.State.ToSettings());

    private static List<TranscriptEntry> ToEntries(IReadOnlyList<NewConversationItem> items)
    {
        var entries = new List<TranscriptEntry>(items.Count);
        foreach (var item in items)
        {
            entries.Add(new TranscriptEntry
            {
                Id = NewItemId(),
                Role = item.Role,
                Message = ChatMessageConversion.ToChatMessageJson(item),
                Content = ChatMessageConversion.IsDerivable(item) ? null : item.Content,
            });
        }
        return entries;
    }

    private static TranscriptEntry ToEntry(ChatMessageRecord message, TurnMark? turn = null) => new()
    {
        Id = NewItemId(),
        Role = message.Role,
        Message = message.Utf8Json,
        Turn = turn,
    };

    private static string NewItemId() => ItemIdPrefix + Guid.NewGuid().ToString("N");

    [LoggerMessage(Level = LogLevel.Debug, Message = "Conversation {ConversationId}: another activation wrote first (attempt {Attempt}); re-applying the change to the fresh state")]
    private static partial void LogWriteConflict(ILogger logger, string conversationId, int attempt);
}
