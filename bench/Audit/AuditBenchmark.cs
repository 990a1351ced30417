using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Npgsql;
using Parley.Silo.Audit;
using Parley.Silo.Audit.Stores;
using Parley.Testing;

namespace Parley.Bench.Audit;

internal sealed record AuditBenchmarkOptions(int Iterations, int Records, int Rounds, int BatchSize);

/// <summary>
/// What the audit trail costs: on the request path, building a record and appending it to the sink (sealing it into the
/// chain: SHA-256 over the previous hash and its canonical JSON; enqueueing it) and the masked excerpt of a 2 KB prompt,
/// µs and bytes per request on one thread; off the request path, the writer's throughput (records queued, then drained
/// in batches into the store, timed from the writer's start to its last commit) into SQLite on local disk and into a
/// real PostgreSQL on loopback (binary COPY). Medians of the rounds.
/// </summary>
internal static class AuditBenchmark
{
    private const string Chain = "10.0.0.1:11111@1";

    public static async Task<int> RunAsync(AuditBenchmarkOptions options)
    {
        Console.WriteLine($"audit: {options.Iterations:N0} appends per round, {options.Records:N0} records per writer round, batches of {options.BatchSize:N0}, {options.Rounds} rounds (median)");
        Console.WriteLine($"{"request path (one thread)",-44} {"µs/request",12} {"bytes/request",14} {"CPU µs/request",15}");
        Row("record built + sealed + queued", MeasureAppend(options));
        Row("excerpt of a 2 KB prompt (masked)", MeasureExcerpt(options));

        Console.WriteLine($"{"writer (queue → store, wall clock)",-44} {"records/s",12} {"µs/record",14}");
        var directory = Directory.CreateTempSubdirectory("parley-audit-bench-").FullName;
        try
        {
            var sqlite = new List<double>();
            for (var round = 0; round < options.Rounds; round++)
            {
                var path = Path.Combine(directory, $"sqlite-{round}");
                sqlite.Add(await MeasureWriterAsync(new SqliteAuditStore(Path.Combine(path, "audit.db")), path, options));
            }
            Throughput("SQLite (WAL, synchronous=NORMAL)", sqlite);
            await using var postgres = await PostgresServer.StartAsync();
            var pg = new List<double>();
            for (var round = 0; round < options.Rounds; round++)
            {
                var database = "bench_" + round.ToString(CultureInfo.InvariantCulture);
                await using (var connection = new NpgsqlConnection(postgres.ConnectionString))
                {
                    await connection.OpenAsync();
                    await using var create = new NpgsqlCommand("CREATE DATABASE " + database, connection);
                    await create.ExecuteNonQueryAsync();
                }
                var connectionString = new NpgsqlConnectionStringBuilder(postgres.ConnectionString) { Database = database }.ToString();
                var store = new PostgresAuditStore(connectionString);
                pg.Add(await MeasureWriterAsync(store, Path.Combine(directory, "pg-" + round), options));
                await store.DisposeAsync();
            }
            Throughput("PostgreSQL 15 (binary COPY, loopback)", pg);
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(directory, recursive: true);
        }
        return 0;
    }

    private static AuditRecord NewRecord(int i) => new()
    {
        TimeUs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() * 1000,
        RequestId = "req_0123456789abcdef0123456789abcdef",
        UserId = "user_d4346953b9f58e05e3cecb80",
        KeyId = "key_5f1e0c2a9b7d4e3f8a6b1c0d",
        Method = "POST",
        Route = "/v1/chat/completions",
        Model = "gpt-4o-mini",
        Deployment = "openai/gpt-4o-mini",
        PromptTokens = 812,
        CompletionTokens = 245 + (i & 7),
        CostMicros = 1_237,
        Status = 200,
        LatencyUs = 843_211,
        ConversationId = "conv_0123456789abcdef0123456789abcdef",
        Policy = "in:email:pseudonymize",
        Excerpt = "Please summarise the attached quarterly report for [EMAIL] and list the three largest cost items with their share of the total budget, in a short table.",
    };

    private static TimeSpan Cpu() => Process.GetCurrentProcess().TotalProcessorTime;

    private static (double Micros, double Bytes, double Cpu) MeasureAppend(AuditBenchmarkOptions options)
    {
        var results = new List<(double, double, double)>();
        using var metrics = new AuditMetrics();
        var spoolDirectory = Directory.CreateTempSubdirectory("parley-audit-bench-spool-").FullName;
        try
        {
            using var spool = new AuditSpool(spoolDirectory, Chain, NullLogger.Instance);
            for (var round = 0; round <= options.Rounds; round++)
            {
                // Room for the whole round: the queue is drained after it, so nothing spills and the writer's work is not timed.
                var sink = new AuditSink(Chain, options.Iterations, spool, metrics);
                var bytes = GC.GetAllocatedBytesForCurrentThread();
                var cpu = Cpu();
                var started = Stopwatch.GetTimestamp();
                for (var i = 0; i < options.Iterations; i++)
                {
                    sink.Append(NewRecord(i));
                }
                var elapsed = Stopwatch.GetElapsedTime(started);
                var cpuUsed = Cpu() - cpu;
                bytes = GC.GetAllocatedBytesForCurrentThread() - bytes;
                if (round > 0)
                {
                    results.Add((elapsed.TotalMicroseconds / options.Iterations, (double)bytes / options.Iterations, cpuUsed.TotalMicroseconds / options.Iterations));
                }
            }
        }
        finally
        {
            Directory.Delete(spoolDirectory, recursive: true);
        }
        return Median(results);
    }

    private static (double Micros, double Bytes, double Cpu) MeasureExcerpt(AuditBenchmarkOptions options)
    {
        var excerpt = new AuditExcerpt(200);
        var text = string.Concat(Enumerable.Repeat("请总结附件中的季度报告 and send it to finance.team@example.com before Friday; 卡号 4111 1111 1111 1111. ", 24))[..2048];
        var results = new List<(double, double, double)>();
        for (var round = 0; round <= options.Rounds; round++)
        {
            var bytes = GC.GetAllocatedBytesForCurrentThread();
            var cpu = Cpu();
            var started = Stopwatch.GetTimestamp();
            var length = 0;
            for (var i = 0; i < options.Iterations / 10; i++)
            {
                length += excerpt.From(text).Length;
            }
            var elapsed = Stopwatch.GetElapsedTime(started);
            var cpuUsed = Cpu() - cpu;
            bytes = GC.GetAllocatedBytesForCurrentThread() - bytes;
            if (length == 0)
            {
                throw new InvalidOperationException("empty excerpt");
            }
            if (round > 0)
            {
                var n = options.Iterations / 10;
                results.Add((elapsed.TotalMicroseconds / n, (double)bytes / n, cpuUsed.TotalMicroseconds / n));
            }
        }
        return Median(results);
    }

    /// <summary>Records/s from the writer's start until its queue is drained into the store.</summary>
    private static async Task<double> MeasureWriterAsync(IAuditStore store, string directory, AuditBenchmarkOptions options)
    {
        Directory.CreateDirectory(directory);
        await store.EnsureSchemaAsync(CancellationToken.None);
        using var metrics = new AuditMetrics();
        var spool = new AuditSpool(directory, Chain, NullLogger.Instance);
        var sink = new AuditSink(Chain, options.Records, spool, metrics);
        for (var i = 0; i < options.Records; i++)
        {
            sink.Append(NewRecord(i));
        }
        var writer = new AuditWriter(sink, spool, store, Options.Create(new AuditOptions { BatchSize = options.BatchSize, RetentionDays = 0 }), metrics,
            TimeProvider.System, NullLogger<AuditWriter>.Instance);
        var started = Stopwatch.GetTimestamp();
        await writer.StartAsync(CancellationToken.None);
        await writer.StopAsync(CancellationToken.None);
        var elapsed = Stopwatch.GetElapsedTime(started);
        writer.Dispose();
        if (metrics.Written != options.Records || metrics.Failures != 0)
        {
            throw new InvalidOperationException($"the writer stored {metrics.Written} of {options.Records} records ({metrics.Failures} failed writes)");
        }
        return options.Records / elapsed.TotalSeconds;
    }

    private static void Row(string name, (double Micros, double Bytes, double Cpu) result)
        => Console.WriteLine($"{name,-44} {result.Micros.ToString("F2", CultureInfo.InvariantCulture),12} {result.Bytes.ToString("F0", CultureInfo.InvariantCulture),14} {result.Cpu.ToString("F2", CultureInfo.InvariantCulture),15}");

    private static void Throughput(string name, List<double> perSecond)
    {
        var median = perSecond.Order().ElementAt(perSecond.Count / 2);
        Console.WriteLine($"{name,-44} {median.ToString("N0", CultureInfo.InvariantCulture),12} {(1_000_000 / median).ToString("F2", CultureInfo.InvariantCulture),14}");
    }

    private static (double, double, double) Median(List<(double Micros, double Bytes, double Cpu)> results)
    {
        var sorted = results.OrderBy(r => r.Micros).ToList();
        return sorted[sorted.Count / 2];
    }
}
