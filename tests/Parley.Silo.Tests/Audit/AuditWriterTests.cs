using System.Diagnostics;
using Npgsql;
using Parley.Silo.Audit;
using Parley.Silo.Audit.Stores;
using Xunit;

namespace Parley.Silo.Tests.Audit;

/// <summary>The writer under load with a real PostgreSQL that is stopped and started again mid-run: nothing blocks,
/// nothing is lost, nothing is stored twice, and every silo's chain verifies.</summary>
public sealed class AuditWriterOutageTests(PostgresFixture postgres) : IClassFixture<PostgresFixture>, IDisposable
{
    private const int Silos = 2;
    private const int ProducersPerSilo = 2;
    private const int RecordsPerProducer = 25_000;
    private const int Total = Silos * ProducersPerSilo * RecordsPerProducer;
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(90);
    private readonly string _directory = Directory.CreateTempSubdirectory("parley-audit-load-").FullName;

    [Fact]
    public async Task Hundred_thousand_records_with_the_store_stopped_and_restarted_mid_run_are_each_stored_once_and_every_chain_verifies()
    {
        var connectionString = await postgres.NewDatabaseAsync();
        var store = new PostgresAuditStore(connectionString);
        // Two silos on one host: one spool directory, a chain each.
        var pipelines = Enumerable.Range(0, Silos)
            .Select(s => AuditTestData.Pipeline(store, _directory, $"10.0.0.{s + 1}:11111@42", capacity: 10_000, batchSize: 1_000))
            .ToList();
        foreach (var p in pipelines)
        {
            await p.Writer.StartAsync(CancellationToken.None);
        }
        // The producers pause twice: once 40% is appended, until the store is down; once 75% is, until it is starting again.
        var appended = 0;
        var stopped = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var restarting = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var reachedStop = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var reachedRestart = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var longestAppend = new long[Silos * ProducersPerSilo];
        var producers = Enumerable.Range(0, Silos * ProducersPerSilo).Select(n => Task.Run(async () =>
        {
            var sink = pipelines[n % Silos].Sink;
            for (var i = 0; i < RecordsPerProducer; i++)
            {
                var started = Stopwatch.GetTimestamp();
                sink.Append(AuditTestData.Record(n * RecordsPerProducer + i));
                longestAppend[n] = Math.Max(longestAppend[n], Stopwatch.GetTimestamp() - started);
                var count = Interlocked.Increment(ref appended);
                if (count == Total * 4 / 10)
                {
                    reachedStop.SetResult();
                }
                if (count == Total * 3 / 4)
                {
                    reachedRestart.SetResult();
                }
                if (i == RecordsPerProducer * 4 / 10)
                {
                    await stopped.Task;
                }
                if (i == RecordsPerProducer * 3 / 4)
                {
                    await restarting.Task;
                }
            }
        })).ToList();

        await reachedStop.Task.WaitAsync(Deadline);
        await postgres.Server.StopAsync();
        stopped.SetResult();
        await reachedRestart.Task.WaitAsync(Deadline);
        var restart = postgres.Server.StartAgainAsync();
        restarting.SetResult();
        await Task.WhenAll(producers).WaitAsync(Deadline);
        await restart.WaitAsync(Deadline);
        foreach (var p in pipelines)
        {
            await p.Writer.StopAsync(new CancellationTokenSource(Deadline).Token);
        }

        Assert.Equal(Total, appended);
        Assert.All(pipelines, p => Assert.True(p.Metrics.Failures > 0, "the outage was noticed by every writer"));
        // Everything spooled was replayed: no file waits for replay, no silo's spool holds a record.
        Assert.Empty(Directory.GetFiles(Path.Combine(_directory, "spool"), "*.replay"));
        Assert.All(Directory.GetFiles(Path.Combine(_directory, "spool")), file => Assert.Equal(0, new FileInfo(file).Length));
        // A batch whose commit was cut by the stop is written again from the spool: at least every record was written.
        Assert.True(pipelines.Sum(p => p.Metrics.Written) >= Total);
        await using (var connection = new NpgsqlConnection(connectionString))
        {
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand("SELECT count(*), count(DISTINCT request_id), count(DISTINCT (silo, seq)) FROM audit_records", connection);
            await using var reader = await command.ExecuteReaderAsync();
            Assert.True(await reader.ReadAsync());
            Assert.Equal((long)Total, reader.GetInt64(0));
            Assert.Equal((long)Total, reader.GetInt64(1));
            Assert.Equal((long)Total, reader.GetInt64(2));
        }
        foreach (var p in pipelines)
        {
            Assert.Equal(new AuditChainVerdict(p.Sink.Chain, true, 1, Total / Silos, Total / Silos, null, null), await AuditTestData.VerifyAsync(store, p.Sink.Chain));
        }
        // Appending never waited for the store: even the slowest append (a spill to the spool) took well under a second.
        Assert.True(longestAppend.Max() < Stopwatch.Frequency, $"an append took {longestAppend.Max() * 1000.0 / Stopwatch.Frequency} ms");
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);
}

/// <summary>The queue spills to the spool when full, and the spool replays exactly once, with SQLite.</summary>
public sealed class AuditSpillTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("parley-audit-spill-").FullName;

    [Fact]
    public async Task A_full_queue_spills_to_the_spool_which_replays_each_record_once()
    {
        var store = new SqliteAuditStore(Path.Combine(_directory, "audit.db"));
        var (sink, writer, spool, metrics) = AuditTestData.Pipeline(store, _directory, "127.0.0.1:11111@7", capacity: 16, batchSize: 50);
        for (var i = 0; i < 200; i++)
        {
            sink.Append(AuditTestData.Record(i));
        }
        Assert.Equal(16, sink.QueueDepth);
        Assert.True(spool.PendingBytes > 0);
        // Some of the spilled records already reached the store (a replay that failed half-way): they are not stored again.
        await store.EnsureSchemaAsync(CancellationToken.None);
        var spilled = new List<AuditRecord>();
        await spool.ReplayAsync((batch, _) =>
        {
            spilled.AddRange(batch);
            return Task.CompletedTask;
        }, 1_000, CancellationToken.None);
        Assert.Equal(Enumerable.Range(17, 184).Select(i => (long)i), spilled.Select(r => r.Seq));
        await store.WriteAsync(spilled[..60], CancellationToken.None);
        spool.AppendBatch(spilled);

        await writer.StartAsync(CancellationToken.None);
        await writer.StopAsync(CancellationToken.None);

        var stored = await AuditTestData.AllAsync(store);
        Assert.Equal(Enumerable.Range(1, 200).Select(i => (long)i), stored.Select(r => r.Seq).Order());
        Assert.Equal(new AuditChainVerdict(sink.Chain, true, 1, 200, 200, null, null), await AuditTestData.VerifyAsync(store, sink.Chain));
        Assert.Equal(0, spool.PendingBytes);
        Assert.Equal(0, metrics.Failures);
        Assert.Empty(Directory.GetFiles(Path.Combine(_directory, "spool"), "*.replay"));
    }

    [Fact]
    public async Task A_writer_with_retention_due_and_nothing_to_write_stops_at_once_and_has_applied_retention()
    {
        var store = new SqliteAuditStore(Path.Combine(_directory, "audit.db"));
        var time = new Parley.Testing.ManualTimeProvider(DateTimeOffset.UnixEpoch.AddMicroseconds(AuditTestData.BaseTimeUs + 200L * 86_400_000_000));
        var (sink, writer, _, _) = AuditTestData.Pipeline(store, _directory, "127.0.0.1:11111@8", time: time, retentionDays: 30);
        await store.EnsureSchemaAsync(CancellationToken.None);
        await store.WriteAsync(AuditTestData.Chain(sink.Chain, 10), CancellationToken.None);

        await writer.StartAsync(CancellationToken.None);
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await writer.StopAsync(stop.Token);

        Assert.False(stop.IsCancellationRequested, "the writer drained and stopped");
        // Retention was due at start: the 10 records (200 days old) are gone, their chain's checkpoint kept.
        Assert.Empty(await AuditTestData.AllAsync(store));
        Assert.Equal(new AuditChainVerdict(sink.Chain, true, 11, 10, 0, null, null), await AuditTestData.VerifyAsync(store, sink.Chain));
    }

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_directory, recursive: true);
    }
}
