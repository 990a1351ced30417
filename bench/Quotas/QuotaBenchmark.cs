using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using Parley.GrainInterfaces.Quotas;
using Parley.Grains.Quotas;
using Parley.Grains.Quotas.Ledger;
using Parley.Grains.Redis;
using Parley.Grains.UpstreamKeys;
using StackExchange.Redis;

namespace Parley.Bench.Quotas;

internal sealed record QuotaBenchmarkOptions(int Iterations, int Seconds, int Concurrency, int Users);

/// <summary>
/// What one quota admission costs against one Redis on loopback: the latency of a decision (one EVALSHA) next to a bare
/// PING round trip, and decisions per second with concurrent callers; the in-process ledger for comparison.
/// Every user has all seven limits set, so every decision evaluates every window and budget.
/// </summary>
internal static class QuotaBenchmark
{
    private const double GoalP50Microseconds = 300;

    private static readonly QuotaLimits Limits = new(RequestsPerMinute: 1_000_000, TokensPerMinute: 1_000_000_000, ConcurrentRequests: 1_000_000,
        TokensPerDay: 1_000_000_000_000, TokensPerMonth: 1_000_000_000_000, MicrosUsdPerDay: 1_000_000_000_000, MicrosUsdPerMonth: 1_000_000_000_000);

    public static async Task<int> RunAsync(QuotaBenchmarkOptions options)
    {
        await using var redis = await BenchRedis.StartAsync();
        await using var services = new ServiceCollection()
            .AddLogging()
            // Admin commands allowed: CONFIG RESETSTAT before the admissions, for the script time INFO reports.
            .AddRedis(o => o.ConnectionString = redis.ConnectionString + ",allowAdmin=true")
            .AddQuotaLedger()
            .BuildServiceProvider();
        var ledger = services.GetRequiredService<IQuotaLedger>();
        var memory = new MemoryQuotaLedger();
        var database = (await services.GetRequiredService<IRedisConnection>().GetMultiplexerAsync()).GetDatabase();

        Console.WriteLine(Invariant($"Quota admission benchmark: redis-server on loopback, {options.Users} users with all 7 limits set, 2 cores."));
        Console.WriteLine();
        Console.WriteLine("| operation | calls | p50 µs | p90 µs | p99 µs | max µs |");
        Console.WriteLine("|---|---:|---:|---:|---:|---:|");
        var ping = await MeasureAsync(options.Iterations, _ => database.PingAsync());
        Print("Redis PING (one round trip, for reference)", ping);
        var keys = Enumerable.Range(0, 7).Select(k => (RedisKey)("{x}:" + k)).ToArray();
        RedisValue[] args = ["2026-01-15", "2026-01-14", "2026-01", "2025-12", "", "res_0", new byte[21 * sizeof(double)]];
        // The same keys and arguments as an admission (six strings and the block of 21 numbers) but no work: the round
        // trip and the client's share.
        Print("EVALSHA of `return 1` (7 keys, 7 arguments)", await MeasureAsync(options.Iterations, _ => database.ScriptEvaluateAsync("return 1", keys, args)));
        await database.ExecuteAsync("CONFIG", "RESETSTAT");
        var admit = await MeasureAsync(options.Iterations, i => ledger.AdmitAsync(Request(i, options.Users)));
        var insideRedis = ScriptMicroseconds((string)(await database.ExecuteAsync("INFO", "commandstats"))!);
        Print("AdmitAsync, Redis ledger (one EVALSHA)", admit);
        var settle = await MeasureAsync(options.Iterations, i => ledger.SettleAsync(Settlement(i, options.Users)));
        Print("SettleAsync, Redis ledger (one EVALSHA)", settle);
        var inProcess = await MeasureAsync(options.Iterations, i => memory.AdmitAsync(Request(options.Iterations + i, options.Users)));
        Print("AdmitAsync, in-process ledger", inProcess);
        Print("An upstream key's lesson reaching another silo (a block written, heard through pub/sub on a second connection)",
            await LessonAsync(redis.ConnectionString, options.Iterations));
        Console.WriteLine();

        Console.WriteLine(Invariant($"Inside Redis an admission's script runs {insideRedis:F0} µs on average (INFO commandstats, usec_per_call of EVALSHA)."));
        var perSecond = await ThroughputAsync(ledger, options);
        Console.WriteLine(Invariant($"Throughput: {perSecond:N0} admissions/s with {options.Concurrency} concurrent callers for {options.Seconds} s (Redis ledger)."));
        var pass = admit.P50 < GoalP50Microseconds;
        Console.WriteLine(Invariant($"Verdict: {(pass ? "PASS" : "FAIL")} - an admission adds p50 {admit.P50:F0} µs (goal: under {GoalP50Microseconds:F0} µs, one Redis round trip; PING p50 {ping.P50:F0} µs)."));
        return pass ? 0 : 1;
    }

    // As the silo asks: the key is tracked only when it has limits of its own (here it has none).
    private static AdmissionRequest Request(int i, int users) => new(
        "user_" + (i % users).ToString(CultureInfo.InvariantCulture), "", "res_" + i.ToString(CultureInfo.InvariantCulture), Limits, null,
        500, 750, DateTimeOffset.UtcNow, TimeSpan.FromMinutes(10));

    private static SettlementRequest Settlement(int i, int users) => new(
        "user_" + (i % users).ToString(CultureInfo.InvariantCulture), "", "res_" + i.ToString(CultureInfo.InvariantCulture), Limits, null,
        420, 600, DateTimeOffset.UtcNow);

    private static async Task<Percentiles> MeasureAsync(int iterations, Func<int, Task> call)
    {
        for (var i = 0; i < Math.Min(1000, iterations); i++)
        {
            await call(-1 - i);
        }
        var samples = new long[iterations];
        for (var i = 0; i < iterations; i++)
        {
            var start = Stopwatch.GetTimestamp();
            await call(i);
            samples[i] = Stopwatch.GetTimestamp() - start;
        }
        return Percentiles.Of(samples);
    }

    /// <summary>From a silo writing a block of a key (<see cref="RedisUpstreamKeyStore.BlockAsync"/>, the script that
    /// publishes it) to another silo's watch hearing of it: how long another silo may still trust a quiet key.</summary>
    private static async Task<Percentiles> LessonAsync(string connectionString, int iterations)
    {
        await using var writer = Connect(connectionString);
        await using var watcher = Connect(connectionString);
        var writing = new RedisUpstreamKeyStore(writer.GetRequiredService<IRedisConnection>());
        var watching = new RedisUpstreamKeyStore(watcher.GetRequiredService<IRedisConnection>());
        TaskCompletionSource heard = new(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var watch = await watching.WatchLessonsAsync(_ => Volatile.Read(ref heard).TrySetResult());
        var until = DateTimeOffset.UtcNow.AddDays(1);
        return await MeasureAsync(iterations, async _ =>
        {
            var next = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            Volatile.Write(ref heard, next);
            // Each block is longer than the last, so each is a lesson.
            until = until.AddMilliseconds(1);
            await writing.BlockAsync("bench/key", until, "429");
            await next.Task;
        });
    }

    private static ServiceProvider Connect(string connectionString)
        => new ServiceCollection().AddLogging().AddRedis(o => o.ConnectionString = connectionString).BuildServiceProvider();

    private static async Task<double> ThroughputAsync(IQuotaLedger ledger, QuotaBenchmarkOptions options)
    {
        var deadline = Stopwatch.GetTimestamp() + (long)(options.Seconds * (double)Stopwatch.Frequency);
        var next = 10_000_000;
        var workers = Enumerable.Range(0, options.Concurrency).Select(async _ =>
        {
            var count = 0L;
            while (Stopwatch.GetTimestamp() < deadline)
            {
                await ledger.AdmitAsync(Request(Interlocked.Increment(ref next), options.Users));
                count++;
            }
            return count;
        }).ToList();
        var started = Stopwatch.GetTimestamp();
        var total = (await Task.WhenAll(workers)).Sum();
        return total / Stopwatch.GetElapsedTime(started).TotalSeconds;
    }

    private static double ScriptMicroseconds(string commandStats)
    {
        var line = commandStats.Split('\n').First(l => l.StartsWith("cmdstat_evalsha:", StringComparison.Ordinal));
        var field = line.Split(',').First(f => f.StartsWith("usec_per_call=", StringComparison.Ordinal));
        return double.Parse(field["usec_per_call=".Length..], CultureInfo.InvariantCulture);
    }

    private static void Print(string label, Percentiles p)
        => Console.WriteLine(Invariant($"| {label} | {p.Count:N0} | {p.P50:F0} | {p.P90:F0} | {p.P99:F0} | {p.Max:F0} |"));

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
