using System.Globalization;
using Parley.GrainInterfaces.Quotas;
using Parley.Grains.Quotas;
using Parley.Grains.Quotas.Ledger;
using Parley.Grains.Redis;
using Parley.Testing;
using StackExchange.Redis;

namespace Parley.Grains.Tests.Quotas;

public sealed class RedisQuotaLedgerTests(RedisServerFixture redis) : QuotaLedgerContractTests, IClassFixture<RedisServerFixture>
{
    private QuotaRedisConnections? _connections;
    private IRedisConnection? _connection;

    protected override async Task<IQuotaLedger> CreateLedgerAsync()
    {
        _connections = new QuotaRedisConnections(redis);
        _connection = await _connections.ConnectAsync();
        return new RedisQuotaLedger(_connection);
    }

    protected override async Task DisposeLedgerAsync() => await _connections!.DisposeAsync();

    [Fact]
    public async Task Two_silos_admitting_concurrently_admit_exactly_the_limit()
    {
        var second = new RedisQuotaLedger(await _connections!.ConnectAsync());
        var limits = new QuotaLimits(RequestsPerMinute: 100);
        var results = await Task.WhenAll(Enumerable.Range(0, 200).Select(i =>
            Task.Run(() => AdmitAsync(T0.AddMilliseconds(i % 7), limits, tokens: 10, ledger: i % 2 == 0 ? Ledger : second))));

        Assert.Equal(100, results.Count(r => r.Admitted));
        Assert.All(results.Where(r => !r.Admitted), r => Assert.Equal(QuotaKind.RequestsPerMinute, r.Refusal!.Kind));
        var usage = await second.GetUsageAsync(User, null, T0.AddMilliseconds(10));
        Assert.Equal((100L, 1000L, 100L), (usage.RequestsLastMinute, usage.TokensLastMinute, usage.ConcurrentRequests));
    }

    [Fact]
    public async Task Every_key_of_a_decision_is_in_the_users_hash_slot_and_expires()
    {
        var user = new QuotaLimits(RequestsPerMinute: 10, TokensPerDay: 1000, MicrosUsdPerMonth: 1000);
        var key = new QuotaLimits(ConcurrentRequests: 5, TokensPerDay: 100);
        Assert.True((await AdmitAsync(T0, user, key, tokens: 60, cost: 600, id: "a")).Admitted);
        Assert.True((await SettleAsync("a", T0.AddSeconds(1), user, tokens: 70, cost: 700, key: key)).Settled);
        Assert.True((await AdmitAsync(T0.AddSeconds(2), user, key, tokens: 10, id: "b")).Admitted);

        var db = (await _connection!.GetMultiplexerAsync()).GetDatabase();
        var tag = "{" + _connections!.Prefix + ":user:" + User + "}:";
        Assert.Equal(
            new[] { "q:k:key_a:inflight", "q:k:key_a:win", "q:res", "q:s", "q:u:win" }.Select(s => tag + s).Order(StringComparer.Ordinal),
            await KeysAsync(db));
        // One hash tag means one slot (Redis Cluster hashes only the tag). The state and the in-flight sets hold the
        // month's budgets and reservations: they live until the month ends plus the grace (the test's clock says
        // 2025-03-10 12:00, so 21.5 + 2 days); the window sets a few minutes past their newest entry.
        var month = TimeSpan.FromDays(21.5) + TimeSpan.FromDays(2);
        foreach (var k in new[] { "q:s", "q:res", "q:k:key_a:inflight" })
        {
            var ttl = (await db.KeyTimeToLiveAsync(tag + k))!.Value;
            Assert.InRange(ttl, month - TimeSpan.FromMinutes(1), month);
        }
        foreach (var k in new[] { "q:u:win", "q:k:key_a:win" })
        {
            Assert.InRange((await db.KeyTimeToLiveAsync(tag + k))!.Value, TimeSpan.FromMinutes(2), TimeSpan.FromMinutes(5));
        }
        Assert.Equal(["k:key_a", "r:b", "u"], (await db.HashKeysAsync(tag + "q:s")).Select(f => (string)f!).Order(StringComparer.Ordinal));

        // Nothing in flight any more: the sets stay (with their expiry) rather than being recreated without one.
        Assert.True((await SettleAsync("b", T0.AddSeconds(3), user, tokens: 10, key: key)).Settled);
        Assert.True((await AdmitAsync(T0.AddSeconds(4), user, key, tokens: 1, id: "c")).Admitted);
        foreach (var k in await KeysAsync(db))
        {
            Assert.True((await db.KeyTimeToLiveAsync(k)) > TimeSpan.Zero, k);
        }
        Assert.Equal(81, (await Ledger.GetUsageAsync(User, null, T0.AddSeconds(4))).TokensToday);
    }

    // KEYS through a script: StackExchange.Redis 3 refuses the bare command without admin mode.
    private const string KeysScript = "return redis.call('KEYS', ARGV[1])";

    private async Task<List<string>> KeysAsync(IDatabase db)
        => ((RedisResult[])(await db.ScriptEvaluateAsync(KeysScript, values: ["*" + _connections!.Prefix + "*"]))!).Select(k => (string)k!).Order(StringComparer.Ordinal).ToList();

    [Fact]
    public async Task Each_call_is_one_evalsha()
    {
        var limits = new QuotaLimits(RequestsPerMinute: 100, TokensPerDay: 1000);
        await AdmitAsync(T0, limits, tokens: 1);
        await SettleAsync("res_1", T0, limits, tokens: 1);
        await Ledger.GetUsageAsync(User, null, T0);

        var before = await CommandCountsAsync();
        await AdmitAsync(T0, limits, tokens: 1, id: "x");
        await SettleAsync("x", T0, limits, tokens: 1);
        await Ledger.GetUsageAsync(User, KeyA, T0);
        var after = await CommandCountsAsync();

        Assert.Equal(3, after.GetValueOrDefault("evalsha") - before.GetValueOrDefault("evalsha"));
        Assert.Equal(before.GetValueOrDefault("eval"), after.GetValueOrDefault("eval"));
    }

    private async Task<Dictionary<string, long>> CommandCountsAsync()
    {
        var info = await redis.Server.ExecuteAsync(default, "INFO", "commandstats") ?? string.Empty;
        var counts = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var line in info.Split("\r\n"))
        {
            // cmdstat_evalsha:calls=3,usec=…
            if (line.StartsWith("cmdstat_", StringComparison.Ordinal) && line.IndexOf(":calls=", StringComparison.Ordinal) is var at and > 0)
            {
                var calls = line[(at + 7)..].Split(',')[0];
                counts[line[8..at]] = long.Parse(calls, CultureInfo.InvariantCulture);
            }
        }
        return counts;
    }
}
