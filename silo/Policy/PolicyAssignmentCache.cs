using System.Collections.Concurrent;
using Microsoft.Extensions.Options;
using Parley.GrainInterfaces.Policy;
using Parley.Silo.Cluster;

namespace Parley.Silo.Policy;

/// <summary>Each silo keeps a user's policy assignments for <see cref="PolicyOptions.AssignmentCacheTtl"/>, so a request
/// costs no grain call; an admin change made on this silo is seen at once, on others within the TTL.</summary>
internal sealed class PolicyAssignmentCache(IGrainFactory grains, ClusterCalls clusterCalls, IOptions<PolicyOptions> options, TimeProvider timeProvider)
{
    private const int MaxEntries = 100_000;
    private readonly ConcurrentDictionary<string, Entry> _entries = new(StringComparer.Ordinal);

    public async ValueTask<PolicyAssignments> GetAsync(string userId)
    {
        var now = timeProvider.GetTimestamp();
        if (_entries.TryGetValue(userId, out var entry) && timeProvider.GetElapsedTime(entry.ReadAt, now) < options.Value.AssignmentCacheTtl)
        {
            return entry.Assignments;
        }
        // A read, safe to repeat: while the grain moves off a silo that died, it is retried, not answered 503.
        var grain = grains.GetGrain<IPolicyAssignmentGrain>(userId);
        var assignments = await clusterCalls.RunAsync(() => grain.GetAsync(), CancellationToken.None)
            .ConfigureAwait(false);
        Put(userId, assignments, now);
        return assignments;
    }

    public void Put(string userId, PolicyAssignments assignments) => Put(userId, assignments, timeProvider.GetTimestamp());

    private void Put(string userId, PolicyAssignments assignments, long readAt)
    {
        if (_entries.Count >= MaxEntries)
        {
            _entries.Clear();
        }
        _entries[userId] = new Entry(assignments, readAt);
    }

    private readonly record struct Entry(PolicyAssignments Assignments, long ReadAt);
}
