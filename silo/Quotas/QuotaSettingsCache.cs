using System.Collections.Concurrent;
using Microsoft.Extensions.Options;
using Parley.GrainInterfaces.Quotas;
using Parley.Silo.Cluster;

namespace Parley.Silo.Quotas;

/// <summary>Each silo keeps a user's limits for <see cref="QuotaOptions.SettingsCacheTtl"/>, so an admission costs no
/// storage read: one in-memory lookup here, then the ledger's one Redis script. An admin change made on this silo is
/// seen at once; on others within the TTL (as with key revocation).</summary>
internal sealed class QuotaSettingsCache(IGrainFactory grains, ClusterCalls clusterCalls, IOptions<QuotaOptions> options, TimeProvider timeProvider)
{
    // Bounds memory under a flood of distinct users; a full cache is simply emptied (entries are cheap to re-read).
    private const int MaxEntries = 100_000;
    private readonly ConcurrentDictionary<string, Entry> _entries = new(StringComparer.Ordinal);

    public async ValueTask<UserQuotaSettings> GetAsync(string userId)
    {
        var now = timeProvider.GetTimestamp();
        if (_entries.TryGetValue(userId, out var entry) && timeProvider.GetElapsedTime(entry.ReadAt, now) < options.Value.SettingsCacheTtl)
        {
            return entry.Settings;
        }
        // A read, safe to repeat: while the user's grain moves off a silo that died, it is retried, not answered 503.
        var grain = grains.GetGrain<IUserGrain>(userId);
        var settings = await clusterCalls.RunAsync(() => grain.GetSettingsAsync(), CancellationToken.None)
            .ConfigureAwait(false);
        Put(userId, settings, now);
        return settings;
    }

    /// <summary>Records what an admin change on this silo returned, so this silo applies it at once.</summary>
    public void Put(string userId, UserQuotaSettings settings) => Put(userId, settings, timeProvider.GetTimestamp());

    private void Put(string userId, UserQuotaSettings settings, long readAt)
    {
        if (_entries.Count >= MaxEntries)
        {
            _entries.Clear();
        }
        _entries[userId] = new Entry(settings, readAt);
    }

    private readonly record struct Entry(UserQuotaSettings Settings, long ReadAt);
}
