using Microsoft.Extensions.Logging.Abstractions;
using Parley.Silo.Audit;
using Parley.Silo.Audit.Stores;
using Xunit;

namespace Parley.Silo.Tests.Audit;

/// <summary>Records and chains for the store and writer tests.</summary>
internal static class AuditTestData
{
    public const long BaseTimeUs = 1_796_000_000_000_000;

    /// <summary>An unsealed record whose fields vary with <paramref name="i"/>.</summary>
    public static AuditRecord Record(long i, long? timeUs = null) => new()
    {
        TimeUs = timeUs ?? BaseTimeUs + i * 1_000,
        RequestId = "req_" + i,
        UserId = "user-" + (i % 3),
        KeyId = "key-" + (i % 5),
        Method = i % 4 == 0 ? "GET" : "POST",
        Route = "/v1/chat/completions",
        Model = i % 2 == 0 ? "parley-sim" : "sim-large",
        Deployment = i % 2 == 0 ? "sim/sim-small" : null,
        PromptTokens = (int)(i % 100),
        CompletionTokens = i % 7 == 0 ? null : (int)(i % 50),
        CostMicros = i % 2 == 0 ? i * 3 : null,
        Status = i % 10 == 0 ? 429 : 200,
        ErrorCode = i % 10 == 0 ? "rate_limit_exceeded" : null,
        LatencyUs = 1_000 + i,
        ConversationId = i % 3 == 0 ? "conv_" + i.ToString("x32", System.Globalization.CultureInfo.InvariantCulture) : null,
        Replay = i % 11 == 0,
        Policy = i % 5 == 0 ? "in:email:pseudonymize" : null,
        Excerpt = "Hello [EMAIL] number " + i + " 你好",
    };

    /// <summary>A chain of <paramref name="count"/> sealed records (seq 1..count) for <paramref name="silo"/>.</summary>
    public static List<AuditRecord> Chain(string silo, int count, Func<long, long>? time = null)
    {
        var records = new List<AuditRecord>(count);
        var previous = AuditCodec.GenesisHash.ToArray();
        for (var i = 1; i <= count; i++)
        {
            var record = Record(i, time?.Invoke(i));
            record.Silo = silo;
            record.Seq = i;
            record.Hash = AuditCodec.ComputeHash(previous, record);
            previous = record.Hash;
            records.Add(record);
        }
        return records;
    }

    public static async Task<List<AuditRecord>> AllAsync(IAuditStore store, AuditFilter? filter = null)
    {
        var all = new List<AuditRecord>();
        await foreach (var record in store.QueryAsync(filter ?? new AuditFilter(), int.MaxValue, CancellationToken.None))
        {
            all.Add(record);
        }
        return all;
    }

    public static async Task<AuditChainVerdict> VerifyAsync(IAuditStore store, string silo)
    {
        var verdicts = new List<AuditChainVerdict>();
        await foreach (var verdict in AuditVerifier.VerifyAllAsync(store, silo, CancellationToken.None))
        {
            verdicts.Add(verdict);
        }
        return Assert.Single(verdicts);
    }

    /// <summary>A sink, spool and writer over a store, as the silo wires them (no host).</summary>
    public static (AuditSink Sink, AuditWriter Writer, AuditSpool Spool, AuditMetrics Metrics) Pipeline(IAuditStore store, string directory, string chain,
        int capacity = 10_000, int batchSize = 1_000, TimeSpan? retry = null, TimeProvider? time = null, int retentionDays = 0,
        TimeSpan? flushDelay = null)
    {
        var metrics = new AuditMetrics();
        var spool = new AuditSpool(directory, chain, NullLogger.Instance);
        var sink = new AuditSink(chain, capacity, spool, metrics);
        var options = Microsoft.Extensions.Options.Options.Create(new AuditOptions
        {
            Directory = directory,
            QueueCapacity = capacity,
            BatchSize = batchSize,
            RetryInterval = retry ?? TimeSpan.FromMilliseconds(100),
            RetentionDays = retentionDays,
            FlushDelay = flushDelay ?? TimeSpan.Zero,
        });
        var writer = new AuditWriter(sink, spool, store, options, metrics, time ?? TimeProvider.System, NullLogger<AuditWriter>.Instance);
        return (sink, writer, spool, metrics);
    }
}
