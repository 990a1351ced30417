using System.Text.Json;
using Microsoft.Extensions.Logging;
using Parley.Runtime;

namespace Parley.Grains.Conversations;

/// <summary>Archiving and restoring: an idle conversation moves out of the hot store; its next use brings it back.</summary>
public sealed partial class ConversationGrain
{
    public async Task<bool> ArchiveIfIdleAsync(DateTimeOffset idleSince)
    {
        var id = GetPrimaryKeyString();
        await ReadAsync();
        if (!Exists)
        {
            await activityIndex.RemoveAsync(id);
            DeactivateOnIdle();
            return false;
        }
        var lastUsed = state.State.LastUsedAt;
        if (lastUsed > idleSince.ToUnixTimeMilliseconds())
        {
            // The index was behind (a lost fire-and-forget touch): put the conversation back where it belongs.
            activityIndex.Touch(id, DateTimeOffset.FromUnixTimeMilliseconds(lastUsed));
            return false;
        }
        // The archive copy is written before the hot state goes, so a crash in between loses nothing.
        await archive.PutAsync(id, JsonSerializer.SerializeToUtf8Bytes(state.State, ConversationStateJsonContext.Default.ConversationState));
        try
        {
            await state.ClearStateAsync();
        }
        catch (InconsistentStateException)
        {
            // Used on another silo meanwhile: it stays hot.
            await archive.DeleteAsync(id);
            await ReadAsync();
            return false;
        }
        await activityIndex.RemoveAsync(id);
        LogArchived(logger, id, DateTimeOffset.FromUnixTimeMilliseconds(lastUsed));
        DeactivateOnIdle();
        return true;
    }

    /// <summary>Brings an archived conversation back into the hot store; false if there is no archived copy.</summary>
    private async Task<bool> TryRestoreAsync()
    {
        var id = GetPrimaryKeyString();
        var archived = await archive.GetAsync(id);
        if (archived is null)
        {
            return false;
        }
        ConversationState? restored;
        try
        {
            restored = JsonSerializer.Deserialize(archived, ConversationStateJsonContext.Default.ConversationState);
        }
        catch (JsonException e)
        {
            LogArchiveUnreadable(logger, id, e);
            return false;
        }
        if (restored is null || restored.OwnerUserId.Length == 0)
        {
            return false;
        }
        var now = TimeProvider.GetUtcNow();
        restored.LastUsedAt = now.ToUnixTimeMilliseconds();
        state.State = restored;
        try
        {
            await WriteAsync();
        }
        catch (InconsistentStateException)
        {
            // Another silo restored it first.
            await ReadAsync();
            return Exists;
        }
        await archive.DeleteAsync(id);
        activityIndex.Touch(id, now);
        LogRestored(logger, id);
        return true;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Conversation {ConversationId} archived (last used {LastUsed:O})")]
    private static partial void LogArchived(ILogger logger, string conversationId, DateTimeOffset lastUsed);

    [LoggerMessage(Level = LogLevel.Information, Message = "Conversation {ConversationId} restored from the archive")]
    private static partial void LogRestored(ILogger logger, string conversationId);

    [LoggerMessage(Level = LogLevel.Error, Message = "Conversation {ConversationId}: the archived copy cannot be read; it is left in the archive")]
    private static partial void LogArchiveUnreadable(ILogger logger, string conversationId, Exception exception);
}
