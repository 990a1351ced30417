using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.Extensions.Logging;
using Parley.Grains.Conversations.Transcript;
using Parley.ServiceDefaults.Logging;

namespace Parley.Grains.Conversations;

/// <summary>Archiving and restoring: an idle conversation moves out of the hot store; its next use brings it back.</summary>
public sealed partial class ConversationGrain
{
    public async Task<bool> ArchiveIfIdleAsync(DateTimeOffset idleSince)
    {
        var id = Id;
        await RevalidateStateAsync();
        if (!Exists)
        {
            await activityIndex.RemoveAsync(id);
            DeactivateOnIdle();
            return false;
        }
        var snapshot = await transcript.ExportAsync(id);
        var lastUsed = Math.Max(_lastUsedMs, snapshot?.UsedAtMs ?? 0);
        if (lastUsed > idleSince.ToUnixTimeMilliseconds())
        {
            // The index was behind (a lost fire-and-forget touch): put the conversation back where it belongs.
            activityIndex.Touch(id, DateTimeOffset.FromUnixTimeMilliseconds(lastUsed));
            return false;
        }
        // The archive copy is written before the hot state goes, so a crash in between loses nothing.
        var record = new ArchivedConversation(state.State, snapshot);
        await archive.PutAsync(id, JsonSerializer.SerializeToUtf8Bytes(record, ArchivedConversationJsonContext.Default.ArchivedConversation));
        try
        {
            await state.ClearStateAsync();
        }
        catch (InconsistentStateException)
        {
            // Used through another activation meanwhile: it stays hot.
            await archive.DeleteAsync(id);
            await ReadStateAsync();
            return false;
        }
        await transcript.DeleteAsync(id);
        await activityIndex.RemoveAsync(id);
        LogArchived(logger, id, DateTimeOffset.FromUnixTimeMilliseconds(lastUsed));
        metrics.ArchiveMove(ConversationMetrics.Archived);
        _working = null;
        DeactivateOnIdle();
        return true;
    }

    /// <summary>Brings an archived conversation back into the hot store; false if there is no archived copy.</summary>
    private async Task<bool> TryRestoreAsync()
    {
        var id = Id;
        var archived = await archive.GetAsync(id);
        if (archived is null)
        {
            return false;
        }
        ArchivedConversation? restored;
        try
        {
            restored = JsonSerializer.Deserialize(archived, ArchivedConversationJsonContext.Default.ArchivedConversation);
        }
        catch (JsonException e)
        {
            LogArchiveUnreadable(logger, id, RedactedException.Of(e));
            return false;
        }
        if (restored?.State is not { OwnerUserId.Length: > 0 } restoredState)
        {
            return false;
        }
        var now = timeProvider.GetUtcNow();
        // The transcript first, then the state: until the state is written the conversation does not exist, so a
        // crash in between is restored again from the archive copy, which is deleted last.
        if (restored.Transcript is { } snapshot)
        {
            await transcript.ImportAsync(id, snapshot with { UsedAtMs = now.ToUnixTimeMilliseconds() });
        }
        state.State = restoredState;
        try
        {
            await WriteStateAsync();
        }
        catch (InconsistentStateException)
        {
            // Another activation restored it first.
            await ReadStateAsync();
            return Exists;
        }
        _working = null;
        await archive.DeleteAsync(id);
        activityIndex.Touch(id, now);
        LogRestored(logger, id);
        metrics.ArchiveMove(ConversationMetrics.Restored);
        return true;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Conversation {ConversationId} archived (last used {LastUsed:O})")]
    private static partial void LogArchived(ILogger logger, string conversationId, DateTimeOffset lastUsed);

    [LoggerMessage(Level = LogLevel.Information, Message = "Conversation {ConversationId} restored from the archive")]
    private static partial void LogRestored(ILogger logger, string conversationId);

    [LoggerMessage(Level = LogLevel.Error, Message = "Conversation {ConversationId}: the archived copy cannot be read; it is left in the archive")]
    private static partial void LogArchiveUnreadable(ILogger logger, string conversationId, Exception exception);
}

/// <summary>What the archive keeps of a conversation: its state and its whole transcript as stored.</summary>
public sealed record ArchivedConversation(ConversationState State, TranscriptSnapshot? Transcript);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(ArchivedConversation))]
public sealed partial class ArchivedConversationJsonContext : JsonSerializerContext;
