using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Parley.GrainInterfaces.Conversations;
using Orleans;
using Parley.ServiceDefaults.Logging;

namespace Parley.Grains.Conversations.Lifecycle;

/// <summary>What one sweep did. <see cref="Leased"/> is false when another silo held the sweep lease (nothing done).</summary>
public readonly record struct ConversationSweepResult(bool Leased, int Archived, int Purged);

/// <summary>Moves conversations idle for longer than the hot retention to the archive and purges expired archive
/// copies, every sweep interval, on the one silo that holds the cluster-wide lease. The grain itself decides (it
/// re-checks its own last use, so a turn that races the sweep always wins); the sweeper only finds candidates.</summary>
public sealed partial class ConversationSweeper(
    IConversationActivityIndex index,
    IConversationArchive archive,
    IGrainFactory grainFactory,
    IOptions<ConversationLifecycleOptions> options,
    TimeProvider timeProvider,
    ConversationMetrics metrics,
    ILogger<ConversationSweeper> logger) : BackgroundService
{
    /// <summary>Archive calls in flight at once: each activates a grain and moves its state, so keep it modest.</summary>
    public const int ArchiveConcurrency = 4;

    private readonly ConversationLifecycleOptions _options = options.Value;

    /// <summary>Identifies this silo's lease; unique per process, so a restarted silo never inherits its old lease.</summary>
    public string Owner { get; } = string.Concat(Environment.MachineName, "/", Guid.NewGuid().ToString("N"));

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(_options.SweepInterval, timeProvider);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            {
                try
                {
                    var result = await SweepOnceAsync(stoppingToken).ConfigureAwait(false);
                    if (result.Leased)
                    {
                        LogSwept(logger, result.Archived, result.Purged);
                    }
                }
                catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
                {
                    // Redis down or similar: the next interval tries again.
                    LogSweepFailed(logger, ex);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutting down.
        }
    }

    /// <summary>One sweep, as the background loop runs it: take (or renew) the lease, archive every conversation the
    /// index reports idle since now − HotRetention, batch by batch, then purge the archive.</summary>
    public async Task<ConversationSweepResult> SweepOnceAsync(CancellationToken cancellationToken)
    {
        if (!await index.TryLeaseSweepAsync(Owner, _options.SweepLease, cancellationToken).ConfigureAwait(false))
        {
            return new ConversationSweepResult(Leased: false, 0, 0);
        }
        var idleSince = timeProvider.GetUtcNow() - _options.HotRetention;
        var archived = 0;
        while (true)
        {
            var ids = await index.GetIdleAsync(idleSince, _options.SweepBatchSize, cancellationToken).ConfigureAwait(false);
            var archivedInBatch = await ArchiveBatchAsync(ids, idleSince, cancellationToken).ConfigureAwait(false);
            archived += archivedInBatch;
            // A short batch is the end; a batch where nothing moved (refused or failing grains still at the head of
            // the index) would come back unchanged, so stop and let the next sweep retry rather than spin.
            if (ids.Count < _options.SweepBatchSize || archivedInBatch == 0)
            {
                break;
            }
        }
        var purged = await archive.PurgeExpiredAsync(cancellationToken).ConfigureAwait(false);
        metrics.ArchiveMove(ConversationMetrics.Purged, purged);
        return new ConversationSweepResult(Leased: true, archived, purged);
    }

    private async Task<int> ArchiveBatchAsync(IReadOnlyList<string> ids, DateTimeOffset idleSince, CancellationToken cancellationToken)
    {
        if (ids.Count == 0)
        {
            return 0;
        }
        var archived = 0;
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = ArchiveConcurrency, CancellationToken = cancellationToken };
        await Parallel.ForEachAsync(ids, parallel, async (id, _) =>
        {
            try
            {
                if (await grainFactory.GetGrain<IConversationGrain>(id).ArchiveIfIdleAsync(idleSince).ConfigureAwait(false))
                {
                    Interlocked.Increment(ref archived);
                }
            }
            catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
            {
                // One broken conversation must not stop the others from being archived.
                LogArchiveFailed(logger, id, RedactedException.Of(ex));
            }
        }).ConfigureAwait(false);
        return archived;
    }

    [LoggerMessage(EventId = 3401, Level = LogLevel.Information, Message = "Conversation sweep: {Archived} archived, {Purged} expired archive copies purged.")]
    private static partial void LogSwept(ILogger logger, int archived, int purged);

    [LoggerMessage(EventId = 3402, Level = LogLevel.Error, Message = "Conversation sweep failed; retrying at the next interval.")]
    private static partial void LogSweepFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 3403, Level = LogLevel.Warning, Message = "Archiving idle conversation {ConversationId} failed; the next sweep retries it.")]
    private static partial void LogArchiveFailed(ILogger logger, string conversationId, Exception exception);
}
