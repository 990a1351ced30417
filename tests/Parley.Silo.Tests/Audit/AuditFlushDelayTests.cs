using Parley.Silo.Audit;
using Parley.Silo.Audit.Stores;
using Parley.Testing;
using Xunit;

namespace Parley.Silo.Tests.Audit;

/// <summary><c>Parley:Audit:FlushDelay</c>: a batch gathers for the delay after its first record and is written as one,
/// a whole batch is written at once, and stopping does not wait for the delay. Time is a manual clock.</summary>
public sealed class AuditFlushDelayTests : IDisposable
{
    private static readonly TimeSpan Delay = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);
    private readonly string _directory = Directory.CreateTempSubdirectory("parley-audit-flush-").FullName;
    private readonly ManualTimeProvider _time = new();

    [Fact]
    public async Task Records_arriving_within_the_delay_of_the_first_are_written_together_when_it_ends_and_not_before()
    {
        var store = new CountingStore(new SqliteAuditStore(Path.Combine(_directory, "audit.db")));
        var (sink, writer, _, metrics) = AuditTestData.Pipeline(store, _directory, "127.0.0.1:11111@1", time: _time, flushDelay: Delay);
        await writer.StartAsync(CancellationToken.None);

        sink.Append(AuditTestData.Record(1));
        await _time.WaitForActiveTimersAsync(1);
        sink.Append(AuditTestData.Record(2));
        sink.Append(AuditTestData.Record(3));
        _time.Advance(Delay - TimeSpan.FromMilliseconds(1));
        Assert.Equal(1, _time.ActiveTimerCount);
        Assert.Equal(0, metrics.Written);

        _time.Advance(TimeSpan.FromMilliseconds(1));
        await Poll.UntilAsync(() => metrics.Written == 3, "the batch is written", Deadline);
        Assert.Equal([3], store.Batches);
        Assert.Equal([1L, 2L, 3L], (await AuditTestData.AllAsync(store)).Select(r => r.Seq).Order());

        // The next record starts a new batch with a delay of its own.
        sink.Append(AuditTestData.Record(4));
        await _time.WaitForActiveTimersAsync(1);
        Assert.Equal(3, metrics.Written);
        _time.Advance(Delay);
        await Poll.UntilAsync(() => metrics.Written == 4, "the batch is written", Deadline);
        Assert.Equal([3, 1], store.Batches);
        await writer.StopAsync(CancellationToken.None);
    }

    [Fact]
    public async Task A_whole_batch_already_queued_is_written_without_waiting()
    {
        var store = new CountingStore(new SqliteAuditStore(Path.Combine(_directory, "audit.db")));
        var (sink, writer, _, metrics) = AuditTestData.Pipeline(store, _directory, "127.0.0.1:11111@2", batchSize: 4, time: _time, flushDelay: Delay);
        for (var i = 1; i <= 4; i++)
        {
            sink.Append(AuditTestData.Record(i));
        }

        await writer.StartAsync(CancellationToken.None);
        await Poll.UntilAsync(() => metrics.Written == 4, "the batch is written", Deadline);
        Assert.Equal([4], store.Batches);
        Assert.Equal(0, _time.ActiveTimerCount);
        await writer.StopAsync(CancellationToken.None);
    }

    [Fact]
    public async Task Stopping_while_a_batch_gathers_writes_it_at_once()
    {
        var store = new CountingStore(new SqliteAuditStore(Path.Combine(_directory, "audit.db")));
        var (sink, writer, _, metrics) = AuditTestData.Pipeline(store, _directory, "127.0.0.1:11111@3", time: _time, flushDelay: Delay);
        await writer.StartAsync(CancellationToken.None);
        sink.Append(AuditTestData.Record(1));
        sink.Append(AuditTestData.Record(2));
        await _time.WaitForActiveTimersAsync(1);

        using var stop = new CancellationTokenSource(Deadline);
        await writer.StopAsync(stop.Token);

        Assert.False(stop.IsCancellationRequested, "the writer stopped without the clock moving");
        Assert.Equal(2, metrics.Written);
        Assert.Equal([2], store.Batches);
    }

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_directory, recursive: true);
    }

    /// <summary>The store, noting the size of every batch written to it.</summary>
    private sealed class CountingStore(IAuditStore inner) : IAuditStore
    {
        private readonly List<int> _batches = [];

        public IReadOnlyList<int> Batches
        {
            get
            {
                lock (_batches)
                {
                    return [.. _batches];
                }
            }
        }

        public Task EnsureSchemaAsync(CancellationToken cancellationToken) => inner.EnsureSchemaAsync(cancellationToken);

        public async Task WriteAsync(IReadOnlyList<AuditRecord> records, CancellationToken cancellationToken)
        {
            await inner.WriteAsync(records, cancellationToken);
            lock (_batches)
            {
                _batches.Add(records.Count);
            }
        }

        public IAsyncEnumerable<AuditRecord> QueryAsync(AuditFilter filter, int limit, CancellationToken cancellationToken)
            => inner.QueryAsync(filter, limit, cancellationToken);

        public Task<IReadOnlyList<AuditChain>> GetChainsAsync(CancellationToken cancellationToken) => inner.GetChainsAsync(cancellationToken);

        public IAsyncEnumerable<AuditRecord> ReadChainAsync(string silo, long fromSeq, CancellationToken cancellationToken)
            => inner.ReadChainAsync(silo, fromSeq, cancellationToken);

        public Task<long> ApplyRetentionAsync(long cutoffUs, CancellationToken cancellationToken) => inner.ApplyRetentionAsync(cutoffUs, cancellationToken);
    }
}
