using Parley.GrainInterfaces.Quotas;
using Parley.Grains.Quotas;
using Parley.Grains.Quotas.Ledger;
using Parley.Testing;
using StackExchange.Redis;

namespace Parley.Grains.Tests.Quotas;

/// <summary>The Redis ledger answers every call exactly as the memory ledger does, over random sequences of
/// admissions, settlements, releases and usage reads: small limits (so every kind of refusal and alert happens), zero amounts,
/// two users and three keys, time steps around window edges, reservation expiries, midnight and the month's end.
/// The contract suite pins the rules down one by one; this finds the interactions it does not spell out.</summary>
public sealed class RedisQuotaLedgerEquivalenceTests(RedisServerFixture redis) : IClassFixture<RedisServerFixture>
{
    private static readonly DateTimeOffset[] Starts =
    [
        new(2025, 3, 10, 12, 0, 0, TimeSpan.Zero),
        new(2025, 3, 10, 23, 58, 0, TimeSpan.Zero),
        new(2025, 3, 31, 23, 57, 0, TimeSpan.Zero),
    ];

    private static readonly long[] Steps = [0, 0, 1, 50, 500, 3_000, 20_000, 30_000, 59_999, 60_000, 60_001, 90_000, 600_000, 3_600_000];

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    public async Task Random_sequences_give_the_same_answers_as_the_memory_ledger(int seed)
    {
        await using var connections = new QuotaRedisConnections(redis);
        var connection = await connections.ConnectAsync();
        var redisLedger = new RedisQuotaLedger(connection);
        for (var run = 0; run < 25; run++)
        {
            var random = new Random(seed * 1000 + run);
            await RunAsync(random, new MemoryQuotaLedger(), redisLedger, "s" + seed + "r" + run + "_");
        }

        // Whatever path the calls took, no key is kept forever.
        var db = (await connection.GetMultiplexerAsync()).GetDatabase();
        var keys = (RedisResult[])(await db.ScriptEvaluateAsync("return redis.call('KEYS', ARGV[1])", values: ["*" + connections.Prefix + "*"]))!;
        Assert.NotEmpty(keys);
        foreach (var key in keys)
        {
            Assert.True(await db.KeyTimeToLiveAsync((string)key!) > TimeSpan.Zero, (string)key!);
        }
    }

    private static async Task RunAsync(Random random, IQuotaLedger memory, IQuotaLedger redisLedger, string users)
    {
        var userLimits = Limits(random);
        var keyLimits = new Dictionary<string, QuotaLimits?>
        {
            [""] = null,
            ["ka"] = random.Next(10) < 7 ? Limits(random) : null,
            ["kb"] = random.Next(2) == 0 ? Limits(random) : null,
        };
        var keys = keyLimits.Keys.ToArray();
        var now = Starts[random.Next(Starts.Length)];
        var admitted = new List<(string User, string Id, string Key, DateTimeOffset Expiry)>();
        var settled = new HashSet<string>(StringComparer.Ordinal);
        var log = new List<string>();
        for (var step = 0; step < 60; step++)
        {
            now = now.AddMilliseconds(random.Next(40) == 0 ? 86_400_000 : Steps[random.Next(Steps.Length)]);
            var user = users + (random.Next(2) == 0 ? "u1" : "u2");
            var keyId = keys[random.Next(keys.Length)];
            var what = random.Next(100);
            var context = $"step {step} at {now:O} after [{string.Join("; ", log)}]";
            log.Add($"{step} {now:HH:mm:ss.fff} {user} {keyId} {what}");
            if (what < 55)
            {
                // Now and then an id still in flight again: both must refuse it as a duplicate (ids are unique otherwise).
                var live = admitted.FindLast(a => a.User == user && a.Expiry > now && !settled.Contains(a.Id));
                var id = live.Id is not null && random.Next(10) == 0 ? live.Id : "r" + step;
                var request = new AdmissionRequest(user, keyId, id, userLimits, keyLimits[keyId], Pick(random, 0, 1, 10, 100, 300, 700, 1200),
                    Pick(random, 0, 0, 5, 500, 1500), now, TimeSpan.FromMilliseconds(Pick(random, 1, 1_000, 30_000, 60_000, 600_000, 3_600_000)));
                var expected = await Try(() => memory.AdmitAsync(request));
                var actual = await Try(() => redisLedger.AdmitAsync(request));
                Assert.True(Same(expected, actual), $"{context}: admission {request}: memory {Show(expected)}, redis {Show(actual)}");
                log.Add($"  admit {id} {request.Tokens}/{request.CostMicrosUsd} ttl {request.ReservationTtl.TotalMilliseconds} -> {Show(expected)}");
                if (expected is AdmissionResult { Admitted: true })
                {
                    admitted.Add((user, id, keyId, now + request.ReservationTtl));
                }
            }
            else if (what < 90 && admitted.Count > 0)
            {
                var (owner, id, key, _) = admitted[random.Next(admitted.Count)];
                settled.Add(id);
                key = random.Next(10) == 0 ? keys[random.Next(keys.Length)] : key;
                var request = new SettlementRequest(owner, key, id, userLimits, keyLimits[key], Pick(random, 0, 5, 50, 300, 800, 2000),
                    Pick(random, 0, 5, 800, 3000), now);
                var expected = await Try(() => memory.SettleAsync(request));
                var actual = await Try(() => redisLedger.SettleAsync(request));
                log.Add($"  settle {id} {key} {request.Tokens}/{request.CostMicrosUsd} -> {Show(expected)}");
                Assert.True(Same(expected, actual), $"{context}: settlement {request}: memory {Show(expected)}, redis {Show(actual)}");
            }
            else if (what >= 95)
            {
                // An admission taken back: one that ran (settled, expired or in flight), or one that has not run yet
                // (a later step's id, which must then refuse itself).
                var (owner, id, key) = admitted.Count > 0 && random.Next(2) == 0
                    ? (admitted[random.Next(admitted.Count)] is var a ? (a.User, a.Id, a.Key) : default)
                    : (user, "r" + (step + 1 + random.Next(3)), keyId);
                var request = new ReleaseRequest(owner, key, id, now, TimeSpan.FromMilliseconds(Pick(random, 1_000, 60_000, 600_000)));
                var expected = await Try(() => memory.ReleaseAsync(request));
                var actual = await Try(() => redisLedger.ReleaseAsync(request));
                log.Add($"  release {id} {key} -> {expected}");
                Assert.True(Equals(expected, actual), $"{context}: release {request}: memory {expected}, redis {actual}");
            }
            else
            {
                var key = random.Next(2) == 0 ? null : keys[random.Next(1, keys.Length)];
                Assert.Equal(await memory.GetUsageAsync(user, key, now), await redisLedger.GetUsageAsync(user, key, now));
            }
        }
    }

    private static QuotaLimits Limits(Random random) => new(
        Pick<int?>(random, null, null, 2, 3, 5), Pick<int?>(random, null, null, 500, 1000, 3000), Pick<int?>(random, null, null, 1, 2, 3),
        Pick<long?>(random, null, null, 1000, 2500), Pick<long?>(random, null, 3000, 10_000), Pick<long?>(random, null, 2000, 5000), Pick<long?>(random, null, 8000));

    private static T Pick<T>(Random random, params T[] values) => values[random.Next(values.Length)];

    private static async Task<object> Try<T>(Func<Task<T>> call) where T : notnull
    {
        try
        {
            return await call();
        }
        catch (InvalidOperationException e)
        {
            return e.GetType();
        }
    }

    private static bool Same(object expected, object actual) => (expected, actual) switch
    {
        (AdmissionResult e, AdmissionResult a) => (e.Admitted, e.Refusal, e.Requests, e.Tokens) == (a.Admitted, a.Refusal, a.Requests, a.Tokens)
            && e.Alerts.SequenceEqual(a.Alerts),
        (SettlementResult e, SettlementResult a) => e.Settled == a.Settled && e.Alerts.SequenceEqual(a.Alerts),
        _ => Equals(expected, actual),
    };

    private static string Show(object result) => result switch
    {
        AdmissionResult r => $"{r} alerts [{string.Join(", ", r.Alerts)}]",
        SettlementResult r => $"{r} alerts [{string.Join(", ", r.Alerts)}]",
        _ => result.ToString() ?? "",
    };
}
