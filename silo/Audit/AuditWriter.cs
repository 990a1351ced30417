using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Parley.Silo.Audit.Stores;

namespace Parley.Silo.Audit;

/// <summary>Drains the audit queue in batches into the store, off the request path. A batch gathers for
/// <see cref="AuditOptions.FlushDelay"/> after its first record, so that at moderate rates the writer wakes once per batch
/// rather than once per request. When a write fails the batch is
/// spooled (fsync'd) and, for <see cref="AuditOptions.RetryInterval"/>, later batches go straight to the spool; then the
/// spool is replayed, oldest first, before anything new is written. Retention runs here too. On shutdown the queue is
/// closed and drained (to the store, or to the spool when the store is down).</summary>
internal sealed class AuditWriter(AuditSink sink, AuditSpool spool, IAuditStore store, IOptions<AuditOptions> options, AuditMetrics metrics,
    TimeProvider timeProvider, ILogger<AuditWriter> logger) : IHostedService, IDisposable
{
    private readonly AuditOptions _options = options.Value;
    private readonly CancellationTokenSource _stopping = new();
    private bool _schemaReady;
    private bool _down;
    private DateTimeOffset _retryAt;
    private DateTimeOffset _nextRetention = timeProvider.GetUtcNow();
    private Task? _loop;

    /// <summary>The store is taking writes (false while the spool is used instead).</summary>
    public bool StoreAvailable => !_down;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        spool.AdoptOrphans();
        // Not a BackgroundService: its loop must run (and drain) even when the host stops before it got going.
        _loop = Task.Run(RunAsync, CancellationToken.None);
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        // Closing the queue ends the loop once it has drained (no more gathering); the host's token bounds how long that
        // may take.
        await _stopping.CancelAsync().ConfigureAwait(false);
        sink.Complete();
        if (_loop is { } loop)
        {
            try
            {
                await loop.WaitAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                // The host gives up waiting; the loop goes on draining while the process lives, and whatever is in the
                // spool replays at the next start.
                AuditLog.StopTimedOut(logger, sink.QueueDepth);
            }
        }
    }

    private async Task RunAsync()
    {
        var reader = sink.Reader;
        var batch = new List<AuditRecord>(_options.BatchSize);
        while (true)
        {
            var open = await WaitAsync(reader).ConfigureAwait(false);
            await GatherAsync(reader).ConfigureAwait(false);
            batch.Clear();
            while (batch.Count < _options.BatchSize && reader.TryRead(out var record))
            {
                batch.Add(record);
            }
            await FlushAsync(batch).ConfigureAwait(false);
            spool.Sync();
            await RetainAsync().ConfigureAwait(false);
            if (!open && batch.Count == 0)
            {
                break;
            }
        }
        if (spool.HasPending)
        {
            // Last chance before the process ends; what is still spooled replays at the next start.
            _down = false;
            await FlushAsync([]).ConfigureAwait(false);
        }
    }

    /// <summary>Waits for records; with work pending (a spool to replay, retention due) only until the retry interval.
    /// False once the queue is closed and empty.</summary>
    private async Task<bool> WaitAsync(System.Threading.Channels.ChannelReader<AuditRecord> reader)
    {
        if (reader.TryPeek(out _))
        {
            return true;
        }
        var pending = spool.HasPending || _options.RetentionDays > 0;
        if (!pending)
        {
            return await reader.WaitToReadAsync().ConfigureAwait(false);
        }
        var wait = spool.HasPending ? _options.RetryInterval : _nextRetention - timeProvider.GetUtcNow();
        if (wait <= TimeSpan.Zero)
        {
            // Retention is due now: one pass, then the loop ends if the queue was closed and drained.
            return !reader.Completion.IsCompleted;
        }
        using var timeout = new CancellationTokenSource(wait, timeProvider);
        try
        {
            return await reader.WaitToReadAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested)
        {
            return !reader.Completion.IsCompleted;
        }
    }

    /// <summary>With a record queued, waits <see cref="AuditOptions.FlushDelay"/> for more, unless a whole batch is
    /// already there or the silo is stopping.</summary>
    private async Task GatherAsync(System.Threading.Channels.ChannelReader<AuditRecord> reader)
    {
        if (_options.FlushDelay <= TimeSpan.Zero || !reader.TryPeek(out _) || reader.Count >= _options.BatchSize)
        {
            return;
        }
        try
        {
            await Task.Delay(_options.FlushDelay, timeProvider, _stopping.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
        {
            // Stopping: the drain writes at once.
        }
    }

    private async Task FlushAsync(List<AuditRecord> batch)
    {
        if (batch.Count == 0 && !spool.HasPending)
        {
            return;
        }
        if (_down && timeProvider.GetUtcNow() < _retryAt)
        {
            if (batch.Count > 0)
            {
                spool.AppendBatch(batch);
                metrics.SpooledWhileDown(batch.Count);
            }
            return;
        }
        try
        {
            if (!_schemaReady)
            {
                await store.EnsureSchemaAsync(CancellationToken.None).ConfigureAwait(false);
                _schemaReady = true;
            }
            if (spool.HasPending)
            {
                await spool.ReplayAsync(WriteAsync, _options.BatchSize, CancellationToken.None).ConfigureAwait(false);
                if (_down)
                {
                    AuditLog.Replayed(logger);
                }
            }
            if (batch.Count > 0)
            {
                await WriteAsync(batch, CancellationToken.None).ConfigureAwait(false);
            }
            _down = false;
        }
        catch (Exception e)
        {
            _down = true;
            _retryAt = timeProvider.GetUtcNow() + _options.RetryInterval;
            if (batch.Count > 0)
            {
                spool.AppendBatch(batch);
            }
            metrics.StoreDown(batch.Count);
            AuditLog.StoreDown(logger, batch.Count, e);
        }
    }

    private async Task WriteAsync(IReadOnlyList<AuditRecord> records, CancellationToken cancellationToken)
    {
        await store.WriteAsync(records, cancellationToken).ConfigureAwait(false);
        metrics.Wrote(records.Count);
    }

    private async Task RetainAsync()
    {
        var now = timeProvider.GetUtcNow();
        if (_options.RetentionDays <= 0 || now < _nextRetention)
        {
            return;
        }
        // Due again after the interval whatever happens now (a store that is down is not asked until then).
        _nextRetention = now + _options.RetentionInterval;
        if (_down)
        {
            return;
        }
        try
        {
            if (!_schemaReady)
            {
                await store.EnsureSchemaAsync(CancellationToken.None).ConfigureAwait(false);
                _schemaReady = true;
            }
            var cutoff = (now - TimeSpan.FromDays(_options.RetentionDays)).ToUnixTimeMilliseconds() * 1000;
            var deleted = await store.ApplyRetentionAsync(cutoff, CancellationToken.None).ConfigureAwait(false);
            if (deleted > 0)
            {
                AuditLog.RetentionApplied(logger, deleted, _options.RetentionDays);
            }
        }
        catch (Exception e)
        {
            AuditLog.RetentionFailed(logger, e);
        }
    }

    public void Dispose()
    {
        _stopping.Dispose();
        spool.Dispose();
    }
}
