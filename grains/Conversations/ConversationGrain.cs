using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Parley.GrainInterfaces.Conversations;
using Parley.Grains.Conversations.Context;
using Parley.Grains.Conversations.Lifecycle;
using Parley.Grains.Conversations.Summaries;
using Parley.Runtime;

namespace Parley.Grains.Conversations;

/// <summary>One conversation. The activation is a cache, not the source of truth: every read call first refreshes the
/// state (another silo may have served this conversation since; an unchanged ETag costs no payload), and every change
/// is written with the ETag read;
/// when another silo wrote first the change is re-applied to the fresh state, so no message is ever lost. That
/// compare-and-set is why a change may start from the cache instead of a read (see <see cref="LoadForWriteAsync"/>).</summary>
[GrainType("conversation")]
public sealed partial class ConversationGrain(
    [PersistentState("conversation")] IPersistentState<ConversationState> state,
    IOptions<ConversationContextOptions> contextOptions,
    IConversationSummarizer summarizer,
    IConversationActivityIndex activityIndex,
    IConversationArchive archive,
    ILogger<ConversationGrain> logger) : Grain, IConversationGrain
{
    /// <summary>Bound on re-applying one change under contention; each retry means another writer made progress.</summary>
    public const int MaxWriteAttempts = 16;

    private const string ItemIdPrefix = "msg_";

    /// <summary>The cached state holds a change whose write has not (yet) succeeded: it must not seed another write.</summary>
    private bool _unsaved;

    public async Task<bool> AppendTurnAsync(string userId, IReadOnlyList<ChatMessageRecord> userMessages, ChatMessageRecord assistantMessage)
    {
        // Built once, outside the retry loop, so a re-applied turn keeps the same item ids.
        var newItems = new List<StoredConversationItem>(userMessages.Count + 1);
        foreach (var message in userMessages)
        {
            newItems.Add(ToStoredItem(message));
        }
        newItems.Add(ToStoredItem(assistantMessage));
        CountTurnTokens(newItems);

        if (!await LoadForWriteAsync(userId))
        {
            return false;
        }
        var appended = await UpdateAsync(userId, s =>
        {
            AddItems(s, newItems);
            RecordTurnSettings(s);
            return true;
        }, notFound: false);
        if (appended)
        {
            MaybeStartSummary();
        }
        return appended;
    }

    public async Task<ConversationInfo?> CreateAsync(string userId, IReadOnlyDictionary<string, string> metadata, IReadOnlyList<NewConversationItem> items,
        ConversationSettings settings)
    {
        await ReadAsync();
        if (Exists || await archive.GetAsync(GetPrimaryKeyString()) is not null)
        {
            return null;
        }
        var now = TimeProvider.GetUtcNow();
        state.State = new ConversationState
        {
            OwnerUserId = userId,
            CreatedAt = now.ToUnixTimeSeconds(),
            LastUsedAt = now.ToUnixTimeMilliseconds(),
            Metadata = new Dictionary<string, string>(metadata),
            Model = settings.Model,
            SystemPrompt = settings.SystemPrompt,
            MaxContextTokens = settings.MaxContextTokens,
        };
        AddItems(state.State, ToStoredItems(items));
        try
        {
            await WriteAsync();
        }
        catch (InconsistentStateException)
        {
            // Another activation created this id first: the caller retries with a fresh id.
            await ReadAsync();
            return null;
        }
        activityIndex.Touch(GetPrimaryKeyString(), now);
        return ToInfo();
    }

    public async Task<ConversationInfo?> GetAsync(string userId)
        => await LoadAsync(userId) ? ToInfo() : null;

    public async Task<ConversationInfo?> UpdateAsync(string userId, IReadOnlyDictionary<string, string>? metadata, ConversationSettings settings)
    {
        if (!await LoadForWriteAsync(userId))
        {
            return null;
        }
        return await UpdateAsync(userId, s =>
        {
            if (metadata is not null)
            {
                // Replaced, never mutated: a ConversationInfo handed out earlier keeps the dictionary it was given.
                s.Metadata = new Dictionary<string, string>(metadata);
            }
            s.Model = settings.Model ?? s.Model;
            s.SystemPrompt = settings.SystemPrompt ?? s.SystemPrompt;
            s.MaxContextTokens = settings.MaxContextTokens ?? s.MaxContextTokens;
            return ToInfo();
        }, notFound: null);
    }

    public async Task<bool> DeleteAsync(string userId)
    {
        if (!await LoadForWriteAsync(userId))
        {
            return false;
        }
        var deleted = await UpdateAsync(userId, _ => true, notFound: false, clear: true);
        if (deleted)
        {
            // A copy left behind by an interrupted restore must not bring the conversation back.
            await archive.DeleteAsync(GetPrimaryKeyString());
            await activityIndex.RemoveAsync(GetPrimaryKeyString());
            DeactivateOnIdle();
        }
        return deleted;
    }

    public async Task<IReadOnlyList<ConversationItem>?> AddItemsAsync(string userId, IReadOnlyList<NewConversationItem> items)
    {
        var newItems = ToStoredItems(items);
        if (!await LoadForWriteAsync(userId))
        {
            return null;
        }
        return await UpdateAsync<IReadOnlyList<ConversationItem>?>(userId, s =>
        {
            AddItems(s, newItems);
            return newItems.ConvertAll(i => i.ToItem());
        }, notFound: null);
    }

    public async Task<ConversationItemPage> ListItemsAsync(string userId, ConversationItemQuery query)
    {
        if (!await LoadAsync(userId))
        {
            return new ConversationItemPage(ConversationLookupStatus.ConversationNotFound, [], false);
        }
        var items = state.State.Items;
        var step = query.Order == ItemOrder.Ascending ? 1 : -1;
        var index = step == 1 ? 0 : items.Count - 1;
        if (query.After is { } after)
        {
            var afterIndex = items.FindIndex(i => i.Id == after);
            if (afterIndex < 0)
            {
                return new ConversationItemPage(ConversationLookupStatus.ItemNotFound, [], false);
            }
            index = afterIndex + step;
        }
        var page = new List<ConversationItem>(Math.Min(query.Limit, items.Count));
        for (; index >= 0 && index < items.Count && page.Count < query.Limit; index += step)
        {
            page.Add(items[index].ToItem());
        }
        var hasMore = index >= 0 && index < items.Count;
        return new ConversationItemPage(ConversationLookupStatus.Found, page, hasMore);
    }

    public async Task<ConversationItemResult> GetItemAsync(string userId, string itemId)
    {
        if (!await LoadAsync(userId))
        {
            return new ConversationItemResult(ConversationLookupStatus.ConversationNotFound, null);
        }
        var item = state.State.Items.Find(i => i.Id == itemId);
        return item is null
            ? new ConversationItemResult(ConversationLookupStatus.ItemNotFound, null)
            : new ConversationItemResult(ConversationLookupStatus.Found, item.ToItem());
    }

    public async Task<ConversationItemDeletion> DeleteItemAsync(string userId, string itemId)
    {
        // An item missing from the cache may have been added by another silo: only a read can tell it is not there.
        var cached = CanWriteFromCache(userId) && state.State.Items.Exists(i => i.Id == itemId);
        if (!cached && !await LoadAsync(userId))
        {
            return new ConversationItemDeletion(ConversationLookupStatus.ConversationNotFound, null);
        }
        var notFound = new ConversationItemDeletion(ConversationLookupStatus.ConversationNotFound, null);
        return await UpdateAsync(userId, s =>
        {
            var removed = s.Items.RemoveAll(i => i.Id == itemId);
            return removed == 0
                ? new ConversationItemDeletion(ConversationLookupStatus.ItemNotFound, null)
                : new ConversationItemDeletion(ConversationLookupStatus.Found, ToInfo());
        }, notFound, changed: r => r.Status == ConversationLookupStatus.Found);
    }

    private bool Exists => state.RecordExists && state.State.OwnerUserId.Length > 0;

    private bool IsOwnedBy(string userId) => Exists && string.Equals(state.State.OwnerUserId, userId, StringComparison.Ordinal);

    /// <summary>Refreshes the state (restoring it from the archive if it was archived) and says whether the
    /// conversation exists for this user. A missing conversation does not keep its activation: ids probed by clients
    /// must not pin memory for the idle timeout.</summary>
    private async Task<bool> LoadAsync(string userId)
    {
        await RefreshAsync();
        if (!Exists && !await TryRestoreAsync())
        {
            DeactivateOnIdle();
        }
        return IsOwnedBy(userId);
    }

    /// <summary>Re-reads only what changed; a cache holding a failed write is re-read in full.</summary>
    private async Task RefreshAsync()
    {
        if (_unsaved)
        {
            await ReadAsync();
        }
        else
        {
            await state.RefreshStateAsync();
        }
    }

    /// <summary>Like <see cref="LoadAsync"/>, but skips the read when the cache says the conversation is this
    /// user's: the write that follows carries the cached ETag, so a newer stored value makes it fail and
    /// <see cref="UpdateAsync"/> re-reads then. A cached "missing" is always confirmed by a read, since no write
    /// would follow to detect that another silo created it.</summary>
    private async Task<bool> LoadForWriteAsync(string userId)
        => CanWriteFromCache(userId) || await LoadAsync(userId);

    private bool CanWriteFromCache(string userId) => !_unsaved && IsOwnedBy(userId);

    /// <summary>Applies <paramref name="change"/> to the state and writes it (or, with <paramref name="clear"/>,
    /// deletes it). On a stale ETag (another silo wrote since the read) re-reads and re-applies, unless the
    /// conversation is gone for this user meanwhile.</summary>
    /// <remarks>Every change but a summary is a use of the conversation: it moves the last-use time the lifecycle
    /// archives by.</remarks>
    private async Task<T> UpdateAsync<T>(string userId, Func<ConversationState, T> change, T notFound, Func<T, bool>? changed = null, bool clear = false,
        bool isUse = true)
    {
        for (var attempt = 1; ; attempt++)
        {
            var result = change(state.State);
            if (changed is not null && !changed(result))
            {
                return result;
            }
            var now = TimeProvider.GetUtcNow();
            if (isUse)
            {
                state.State.LastUsedAt = now.ToUnixTimeMilliseconds();
            }
            try
            {
                await (clear ? state.ClearStateAsync() : WriteAsync());
                if (isUse && !clear)
                {
                    activityIndex.Touch(GetPrimaryKeyString(), now);
                }
                return result;
            }
            catch (InconsistentStateException) when (attempt < MaxWriteAttempts)
            {
                LogWriteConflict(logger, GetPrimaryKeyString(), attempt);
                if (!await LoadAsync(userId))
                {
                    return notFound;
                }
            }
        }
    }

    private async Task ReadAsync()
    {
        await state.ReadStateAsync();
        _unsaved = false;
    }

    private async Task WriteAsync()
    {
        _unsaved = true;
        await state.WriteStateAsync();
        _unsaved = false;
    }

    private ConversationInfo ToInfo() => new(GetPrimaryKeyString(), state.State.CreatedAt, state.State.Metadata, state.State.ToSettings());

    /// <summary>Appends items numbered after the last one. Items are built without numbers outside the retry loop
    /// (so a re-applied change keeps its item ids) and numbered here, against the state they land in.</summary>
    private static void AddItems(ConversationState s, List<StoredConversationItem> items)
    {
        foreach (var item in items)
        {
            s.Items.Add(new StoredConversationItem
            {
                Id = item.Id,
                Role = item.Role,
                Message = item.Message,
                Content = item.Content,
                Seq = ++s.LastSeq,
                Tokens = item.Tokens,
            });
        }
    }

    private static List<StoredConversationItem> ToStoredItems(IReadOnlyList<NewConversationItem> items)
    {
        var stored = new List<StoredConversationItem>(items.Count);
        foreach (var item in items)
        {
            stored.Add(new StoredConversationItem
            {
                Id = NewItemId(),
                Role = item.Role,
                Message = ChatMessageConversion.ToChatMessageJson(item),
                Content = ChatMessageConversion.IsDerivable(item) ? null : item.Content,
            });
        }
        return stored;
    }

    private static StoredConversationItem ToStoredItem(ChatMessageRecord message) => new()
    {
        Id = NewItemId(),
        Role = message.Role,
        Message = message.Utf8Json,
    };

    private static string NewItemId() => ItemIdPrefix + Guid.NewGuid().ToString("N");

    [LoggerMessage(Level = LogLevel.Debug, Message = "Conversation {ConversationId}: another silo wrote first (attempt {Attempt}); re-applying the change to the fresh state")]
    private static partial void LogWriteConflict(ILogger logger, string conversationId, int attempt);
}
