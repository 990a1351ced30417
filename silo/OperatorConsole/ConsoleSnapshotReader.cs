using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Parley.GrainInterfaces.Conversations;
using Parley.GrainInterfaces.UpstreamKeys;
using Parley.Grains.Conversations.Lifecycle;
using Parley.Grains.Redis;
using Parley.Grains.UpstreamKeys;
using Parley.Silo.Auth.Store;
using Parley.Silo.Conversations;
using Parley.Silo.Providers;
using Parley.Silo.Quotas;
using Parley.Silo.Routing;
using Parley.ServiceDefaults.Logging;

namespace Parley.Silo.OperatorConsole;

/// <summary>Reads one <see cref="ConsoleSnapshot"/> through the services the admin API uses: the identity store and the
/// quota ledger (Redis in a cluster) for users, each key's grain and the pacing store for upstream keys, the activity
/// index and the conversation grains for conversations, and this silo's router for deployments. A part that cannot be
/// read is reported in the snapshot instead of failing the whole page.</summary>
internal sealed partial class ConsoleSnapshotReader(
    IIdentityStore identities,
    QuotaUsageReader usage,
    QuotaSettingsCache quotaSettings,
    ModelCatalog catalog,
    IUpstreamKeyStore upstreamKeys,
    IConversationActivityIndex activity,
    IGrainFactory grains,
    ClusterRoutingViews routingViews,
    ILocalSiloDetails localSilo,
    TimeProvider time,
    IOptions<ConsoleOptions> options,
    IOptions<ConversationOptions> conversationOptions,
    ILogger<ConsoleSnapshotReader> logger)
{
    public const string UsageUnavailable = "Usage cannot be read right now (the quota store is unreachable).";
    public const string KeyStateUnavailable = "The key's state cannot be read right now (the pacing store is unreachable).";
    public const string ConversationsUnavailable = "Recent conversations cannot be read right now (the activity index is unreachable).";

    public string Silo => localSilo.SiloAddress.ToString();

    public int RefreshMs => (int)options.Value.RefreshInterval.TotalMilliseconds;

    public async Task<ConsoleSnapshot> ReadAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var users = ReadUsersAsync(cancellationToken);
        var keys = ReadUpstreamKeysAsync(now, cancellationToken);
        var conversations = ReadConversationsAsync(now, cancellationToken);
        var bySilo = routingViews.ReadAsync(cancellationToken);
        var deployments = RoutingAdminEndpoints.Describe(catalog, now);
        return new ConsoleSnapshot(now, Silo, RefreshMs, await users, await keys, deployments, await bySilo, await conversations);
    }

    private async Task<ConsoleUsers> ReadUsersAsync(CancellationToken cancellationToken)
    {
        var all = await identities.ListUsersAsync(cancellationToken);
        var shown = all.Take(options.Value.MaxUsers).ToList();
        var rows = await Task.WhenAll(shown.Select(async user =>
        {
            var own = (await quotaSettings.GetAsync(user.Id)).User;
            try
            {
                var read = await usage.ReadResourceAsync(user.Id, keyId: null, cancellationToken);
                return (Row: new ConsoleUser(user.Id, user.Name, user.Disabled, read.Limits, LimitsResource.From(own), read.Usage), Failed: false);
            }
            catch (Exception e) when (RedisFailures.IsUnavailable(e))
            {
                LogUsageUnavailable(logger, RedactedException.Of(e));
                return (Row: new ConsoleUser(user.Id, user.Name, user.Disabled, LimitsResource.From(own), LimitsResource.From(own), null), Failed: true);
            }
        }));
        return new ConsoleUsers([.. rows.Select(r => r.Row)], all.Count, rows.Any(r => r.Failed) ? UsageUnavailable : null);
    }

    private async Task<IReadOnlyList<ConsoleUpstreamKey>> ReadUpstreamKeysAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        var reads = new List<Task<ConsoleUpstreamKey>>();
        foreach (var pool in catalog.KeyPools)
        {
            foreach (var key in pool.Keys)
            {
                reads.Add(ReadKeyAsync(pool.Provider, key, now, cancellationToken));
            }
        }
        return await Task.WhenAll(reads);
    }

    private async Task<ConsoleUpstreamKey> ReadKeyAsync(string provider, PoolKey key, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var o = key.Options;
        var fingerprint = Fingerprint(o.ApiKey);
        var window = key.UpstreamWindow.TotalSeconds;
        try
        {
            var health = await key.Grain.GetHealthAsync();
            // As the admin API's list does: this silo's unpaced fallback learns the state too.
            UpstreamKeyPool.MarkDisabled(key, health.State == UpstreamKeyState.Disabled);
            var schedule = await upstreamKeys.GetScheduleAsync(key.GrainKey, now, cancellationToken);
            var learnt = schedule.Window is { } w && w.Until > now ? w : (StartAllowance?)null;
            return new ConsoleUpstreamKey(provider, key.Id, fingerprint, o.Weight, o.RequestsPerMinute, o.TokensPerMinute, o.MaxConcurrent,
                health.StateName, health.Until, health.Reason, schedule.NextAllowedAt(now), schedule.HeldUntil > now ? schedule.HeldUntil : null,
                learnt?.Remaining, learnt?.Until, schedule.InFlight, window, null);
        }
        catch (Exception e) when (RedisFailures.IsUnavailable(e) || e is TimeoutException or OrleansException)
        {
            LogKeyUnavailable(logger, provider, key.Id, RedactedException.Of(e));
            return new ConsoleUpstreamKey(provider, key.Id, fingerprint, o.Weight, o.RequestsPerMinute, o.TokensPerMinute, o.MaxConcurrent,
                "unknown", null, null, null, null, null, null, 0, window, KeyStateUnavailable);
        }
    }

    private async Task<ConsoleConversations> ReadConversationsAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        var activeWindow = conversationOptions.Value.IdleTimeout;
        IReadOnlyList<ConversationActivity> recent;
        try
        {
            recent = await activity.GetRecentAsync(options.Value.RecentConversations, cancellationToken);
        }
        catch (Exception e) when (RedisFailures.IsUnavailable(e))
        {
            LogConversationsUnavailable(logger, RedactedException.Of(e));
            return new ConsoleConversations([], activeWindow.TotalSeconds, ConversationsUnavailable);
        }
        var rows = await Task.WhenAll(recent.Select(async entry =>
        {
            // Only conversations that are active anyway are asked for details: a call would keep an idle one activated.
            if (now - entry.LastUsed > activeWindow)
            {
                return new ConsoleConversation(entry.ConversationId, entry.LastUsed, false);
            }
            try
            {
                var context = await grains.GetGrain<IConversationGrain>(entry.ConversationId).GetWorkingContextAsync();
                return context is null
                    ? new ConsoleConversation(entry.ConversationId, entry.LastUsed, false)
                    : ConsoleConversation.From(context, entry.LastUsed);
            }
            catch (Exception e) when (e is TimeoutException or OrleansException || RedisFailures.IsUnavailable(e))
            {
                LogConversationUnavailable(logger, entry.ConversationId, RedactedException.Of(e));
                return new ConsoleConversation(entry.ConversationId, entry.LastUsed, false);
            }
        }));
        return new ConsoleConversations(rows, activeWindow.TotalSeconds, null);
    }

    /// <summary>The first 12 hex digits of the secret's SHA-256: enough to tell keys apart and match a provider's
    /// dashboard, useless for calling the upstream. Null for a key without a secret (a local model).</summary>
    internal static string? Fingerprint(string? secret)
        => string.IsNullOrEmpty(secret) ? null : Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(secret)).AsSpan(0, 6));

    [LoggerMessage(EventId = 7101, Level = LogLevel.Warning, Message = "The console could not read usage: the quota store is unreachable.")]
    private static partial void LogUsageUnavailable(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 7102, Level = LogLevel.Warning, Message = "The console could not read the state of upstream key {Provider}/{KeyId}.")]
    private static partial void LogKeyUnavailable(ILogger logger, string provider, string keyId, Exception exception);

    [LoggerMessage(EventId = 7103, Level = LogLevel.Warning, Message = "The console could not read recent conversations: the activity index is unreachable.")]
    private static partial void LogConversationsUnavailable(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 7104, Level = LogLevel.Warning, Message = "The console could not read conversation {ConversationId}.")]
    private static partial void LogConversationUnavailable(ILogger logger, string conversationId, Exception exception);
}
