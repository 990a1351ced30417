using Parley.GrainInterfaces.Quotas;
using Parley.Grains.Quotas;

namespace Parley.Grains.Tests.Quotas;

/// <summary>The behaviour every quota ledger must have; the memory and Redis test classes each run all of it. Time
/// comes from the requests only, so no test waits.</summary>
public abstract partial class QuotaLedgerContractTests : IAsyncLifetime
{
    /// <summary>Mid-month, mid-day: no period boundary near unless a test moves there.</summary>
    protected static readonly DateTimeOffset T0 = new(2025, 3, 10, 12, 0, 0, TimeSpan.Zero);
    protected const string User = "user_1";
    protected const string KeyA = "key_a";
    protected static readonly TimeSpan Ttl = TimeSpan.FromMinutes(10);

    private IQuotaLedger? _ledger;
    private int _next;

    protected IQuotaLedger Ledger => _ledger!;

    /// <summary>A fresh, empty ledger that no other test can see.</summary>
    protected abstract Task<IQuotaLedger> CreateLedgerAsync();

    protected virtual Task DisposeLedgerAsync() => Task.CompletedTask;

    public async Task InitializeAsync() => _ledger = await CreateLedgerAsync();

    public Task DisposeAsync() => DisposeLedgerAsync();

    protected string NextId() => "res_" + Interlocked.Increment(ref _next);

    protected Task<AdmissionResult> AdmitAsync(DateTimeOffset now, QuotaLimits user, QuotaLimits? key = null, int tokens = 0,
        long cost = 0, string keyId = KeyA, string? id = null, TimeSpan? ttl = null, IQuotaLedger? ledger = null)
        => (ledger ?? Ledger).AdmitAsync(new AdmissionRequest(User, keyId, id ?? NextId(), user, key, tokens, cost, now, ttl ?? Ttl));

    protected Task<SettlementResult> SettleAsync(string id, DateTimeOffset now, QuotaLimits user, int tokens, long cost = 0,
        QuotaLimits? key = null, string keyId = KeyA)
        => Ledger.SettleAsync(new SettlementRequest(User, keyId, id, user, key, tokens, cost, now));

    /// <summary>A refusal reports no alert, except the first refusal by a budget in its period: its 100 % alert.</summary>
    protected static void AssertRefused(AdmissionResult result, QuotaScope scope, QuotaKind kind, long limit, TimeSpan retryAfter)
    {
        Assert.False(result.Admitted);
        Assert.Equal(new QuotaRefusal(scope, kind, limit, retryAfter), result.Refusal);
        Assert.All(result.Alerts, alert => Assert.Equal((scope, kind, 100, limit), (alert.Scope, alert.Kind, alert.ThresholdPercent, alert.Limit)));
    }

    [Fact]
    public async Task The_first_refusal_by_an_exhausted_budget_reports_its_100_percent_alert_once()
    {
        var limits = new QuotaLimits(TokensPerDay: 1000);
        Assert.True((await AdmitAsync(T0, limits, tokens: 700, id: "a")).Admitted);

        var first = await AdmitAsync(T0, limits, tokens: 301);
        Assert.Equal([new BudgetAlert(User, null, QuotaScope.User, QuotaKind.TokensPerDay, 100, "2025-03-10", 700, 1000)], first.Alerts);
        Assert.Empty((await AdmitAsync(T0.AddMinutes(1), limits, tokens: 301)).Alerts);
        // Use that reaches 100 % later in the period reports 80 % (crossed now) but not 100 % again.
        var rest = await AdmitAsync(T0.AddMinutes(2), limits, tokens: 300);
        Assert.True(rest.Admitted);
        Assert.Equal([80], rest.Alerts.Select(a => a.ThresholdPercent));
        var next = await AdmitAsync(T0.AddDays(1), limits, tokens: 1001);
        Assert.Equal([new BudgetAlert(User, null, QuotaScope.User, QuotaKind.TokensPerDay, 100, "2025-03-11", 0, 1000)], next.Alerts);
    }

    [Fact]
    public async Task Requests_per_minute_admit_exactly_the_limit_and_retry_when_the_first_entry_leaves()
    {
        var limits = new QuotaLimits(RequestsPerMinute: 100);
        for (var i = 0; i < 100; i++)
        {
            var admitted = await AdmitAsync(T0.AddMilliseconds(100 * i), limits);
            Assert.True(admitted.Admitted, $"request {i}");
            Assert.Equal(new WindowState(100, 99 - i, i == 99 ? TimeSpan.FromMilliseconds(60_000 - 9_900) : TimeSpan.Zero), admitted.Requests);
        }

        var refused = await AdmitAsync(T0.AddSeconds(10), limits);
        AssertRefused(refused, QuotaScope.User, QuotaKind.RequestsPerMinute, 100, TimeSpan.FromSeconds(50));
        Assert.Equal(new WindowState(100, 0, TimeSpan.FromSeconds(50)), refused.Requests);
        AssertRefused(await AdmitAsync(T0.AddSeconds(30), limits), QuotaScope.User, QuotaKind.RequestsPerMinute, 100, TimeSpan.FromSeconds(30));
        AssertRefused(await AdmitAsync(T0.AddSeconds(60).AddMilliseconds(-1), limits), QuotaScope.User, QuotaKind.RequestsPerMinute, 100,
            TimeSpan.FromMilliseconds(1));

        // The first entry leaves at exactly T0 + 60 s: one more fits, and the next waits for the second entry.
        Assert.True((await AdmitAsync(T0.AddSeconds(60), limits)).Admitted);
        AssertRefused(await AdmitAsync(T0.AddSeconds(60), limits), QuotaScope.User, QuotaKind.RequestsPerMinute, 100,
            TimeSpan.FromMilliseconds(100));
        Assert.Equal(100, (await Ledger.GetUsageAsync(User, null, T0.AddSeconds(60))).RequestsLastMinute);
    }

    [Fact]
    public async Task The_window_slides_so_a_burst_at_a_minute_boundary_does_not_double()
    {
        var limits = new QuotaLimits(RequestsPerMinute: 10);
        var lateInMinute = new DateTimeOffset(2025, 3, 10, 12, 0, 59, TimeSpan.Zero);
        for (var i = 0; i < 10; i++)
        {
            Assert.True((await AdmitAsync(lateInMinute, limits)).Admitted);
        }

        // A fixed window would start afresh at 12:01:00; the sliding one holds the burst for a full minute.
        AssertRefused(await AdmitAsync(lateInMinute.AddSeconds(1), limits), QuotaScope.User, QuotaKind.RequestsPerMinute, 10, TimeSpan.FromSeconds(59));
        AssertRefused(await AdmitAsync(lateInMinute.AddSeconds(59), limits), QuotaScope.User, QuotaKind.RequestsPerMinute, 10, TimeSpan.FromSeconds(1));
        for (var i = 0; i < 10; i++)
        {
            Assert.True((await AdmitAsync(lateInMinute.AddSeconds(60), limits)).Admitted);
        }
        Assert.False((await AdmitAsync(lateInMinute.AddSeconds(60), limits)).Admitted);
    }

    [Fact]
    public async Task Tokens_per_minute_are_reserved_then_settled_to_the_actual_amount()
    {
        var limits = new QuotaLimits(TokensPerMinute: 1000);
        var first = await AdmitAsync(T0, limits, tokens: 600, id: "r1");
        Assert.Equal(new WindowState(1000, 400, TimeSpan.FromSeconds(60)), first.Tokens);
        AssertRefused(await AdmitAsync(T0.AddSeconds(1), limits, tokens: 500), QuotaScope.User, QuotaKind.TokensPerMinute, 1000, TimeSpan.FromSeconds(59));

        // Settling lower frees room at once.
        Assert.True((await SettleAsync("r1", T0.AddSeconds(2), limits, tokens: 300)).Settled);
        var second = await AdmitAsync(T0.AddSeconds(2), limits, tokens: 500, id: "r2");
        Assert.True(second.Admitted);
        Assert.Equal(new WindowState(1000, 200, TimeSpan.FromSeconds(60)), second.Tokens);

        // Settling higher consumes more: the window is full until r1's 300 tokens leave at T0 + 60 s.
        Assert.True((await SettleAsync("r2", T0.AddSeconds(3), limits, tokens: 700)).Settled);
        AssertRefused(await AdmitAsync(T0.AddSeconds(4), limits, tokens: 1), QuotaScope.User, QuotaKind.TokensPerMinute, 1000, TimeSpan.FromSeconds(56));
        // 301 tokens need r2 to leave too (T0 + 62 s).
        AssertRefused(await AdmitAsync(T0.AddSeconds(4), limits, tokens: 301), QuotaScope.User, QuotaKind.TokensPerMinute, 1000, TimeSpan.FromSeconds(58));
        Assert.Equal(1000, (await Ledger.GetUsageAsync(User, null, T0.AddSeconds(4))).TokensLastMinute);
        Assert.True((await AdmitAsync(T0.AddSeconds(60), limits, tokens: 300)).Admitted);
        Assert.Equal(1000, (await Ledger.GetUsageAsync(User, null, T0.AddSeconds(60))).TokensLastMinute);

        // A request larger than the whole limit can never fit: a full window is the answer.
        AssertRefused(await AdmitAsync(T0.AddSeconds(200), limits, tokens: 1001), QuotaScope.User, QuotaKind.TokensPerMinute, 1000, TimeSpan.FromSeconds(60));
        Assert.Equal(0, (await Ledger.GetUsageAsync(User, null, T0.AddSeconds(200))).TokensLastMinute);
    }

    [Fact]
    public async Task A_settlement_after_the_admission_left_the_window_adds_only_the_excess_now()
    {
        var limits = new QuotaLimits(TokensPerMinute: 1000);
        Assert.True((await AdmitAsync(T0, limits, tokens: 100, id: "long")).Admitted);
        Assert.True((await SettleAsync("long", T0.AddSeconds(90), limits, tokens: 400)).Settled);
        var usage = await Ledger.GetUsageAsync(User, null, T0.AddSeconds(90));
        Assert.Equal(300, usage.TokensLastMinute);
        Assert.Equal(400, usage.TokensToday);
        Assert.Equal(0, (await Ledger.GetUsageAsync(User, null, T0.AddSeconds(150))).TokensLastMinute);
    }

    [Fact]
    public async Task Concurrency_is_limited_and_a_settlement_frees_the_slot()
    {
        var limits = new QuotaLimits(ConcurrentRequests: 2);
        Assert.True((await AdmitAsync(T0, limits, id: "a")).Admitted);
        Assert.True((await AdmitAsync(T0.AddSeconds(1), limits, id: "b")).Admitted);
        AssertRefused(await AdmitAsync(T0.AddSeconds(2), limits), QuotaScope.User, QuotaKind.ConcurrentRequests, 2, Ttl - TimeSpan.FromSeconds(2));
        Assert.Equal(2, (await Ledger.GetUsageAsync(User, null, T0.AddSeconds(2))).ConcurrentRequests);

        Assert.True((await SettleAsync("a", T0.AddSeconds(3), limits, tokens: 0)).Settled);
        Assert.True((await AdmitAsync(T0.AddSeconds(3), limits, id: "c")).Admitted);
        AssertRefused(await AdmitAsync(T0.AddSeconds(4), limits), QuotaScope.User, QuotaKind.ConcurrentRequests, 2, Ttl - TimeSpan.FromSeconds(3));
    }

    [Fact]
    public async Task A_day_budget_refuses_until_utc_midnight()
    {
        var limits = new QuotaLimits(TokensPerDay: 1000);
        var evening = new DateTimeOffset(2025, 3, 10, 20, 0, 0, TimeSpan.Zero);
        Assert.True((await AdmitAsync(evening, limits, tokens: 600, id: "a")).Admitted);
        Assert.True((await SettleAsync("a", evening, limits, tokens: 600)).Settled);
        Assert.True((await AdmitAsync(evening.AddMinutes(1), limits, tokens: 400, id: "b")).Admitted);
        // Settled, else the reservation would be released (given back) after its TTL.
        Assert.True((await SettleAsync("b", evening.AddMinutes(2), limits, tokens: 400)).Settled);
        AssertRefused(await AdmitAsync(evening.AddMinutes(30), limits, tokens: 1), QuotaScope.User, QuotaKind.TokensPerDay, 1000,
            TimeSpan.FromMinutes(210));
        var usage = await Ledger.GetUsageAsync(User, null, evening.AddMinutes(30));
        Assert.Equal((1000, 1000, "2025-03-10", "2025-03"), (usage.TokensToday, usage.TokensThisMonth, usage.Day, usage.Month));

        Assert.True((await AdmitAsync(new DateTimeOffset(2025, 3, 11, 0, 0, 0, TimeSpan.Zero), limits, tokens: 1000)).Admitted);
    }

    [Fact]
    public async Task A_month_budget_refuses_until_the_first_of_the_next_month()
    {
        var limits = new QuotaLimits(TokensPerMonth: 1000);
        var lastDay = new DateTimeOffset(2025, 3, 31, 23, 0, 0, TimeSpan.Zero);
        var early = new DateTimeOffset(2025, 3, 2, 0, 0, 0, TimeSpan.Zero);
        Assert.True((await AdmitAsync(early, limits, tokens: 700, id: "a")).Admitted);
        Assert.True((await SettleAsync("a", early.AddMinutes(1), limits, tokens: 700)).Settled);
        AssertRefused(await AdmitAsync(lastDay, limits, tokens: 301), QuotaScope.User, QuotaKind.TokensPerMonth, 1000, TimeSpan.FromHours(1));
        Assert.True((await AdmitAsync(lastDay, limits, tokens: 300)).Admitted);
        Assert.True((await AdmitAsync(new DateTimeOffset(2025, 4, 1, 0, 0, 0, TimeSpan.Zero), limits, tokens: 1000)).Admitted);
    }

    [Fact]
    public async Task Money_budgets_refuse_per_day_and_per_month()
    {
        var limits = new QuotaLimits(MicrosUsdPerDay: 1_000_000, MicrosUsdPerMonth: 1_500_000);
        Assert.True((await AdmitAsync(T0, limits, tokens: 10, cost: 700_000, id: "a")).Admitted);
        Assert.True((await SettleAsync("a", T0, limits, tokens: 10, cost: 700_000)).Settled);
        AssertRefused(await AdmitAsync(T0, limits, tokens: 10, cost: 300_001), QuotaScope.User, QuotaKind.MoneyPerDay, 1_000_000, TimeSpan.FromHours(12));
        var nextDay = T0.AddDays(1);
        Assert.True((await AdmitAsync(nextDay, limits, cost: 800_000, id: "b")).Admitted);
        AssertRefused(await AdmitAsync(nextDay, limits, cost: 1), QuotaScope.User, QuotaKind.MoneyPerMonth, 1_500_000, TimeSpan.FromDays(21) - TimeSpan.FromHours(12));
        // A model without a price costs nothing against money budgets.
        Assert.True((await AdmitAsync(nextDay, limits, tokens: 10, cost: 0)).Admitted);
        var usage = await Ledger.GetUsageAsync(User, null, nextDay);
        Assert.Equal((800_000L, 1_500_000L), (usage.MicrosUsdToday, usage.MicrosUsdThisMonth));
    }

    [Fact]
    public async Task The_first_limit_hit_is_reported_in_the_fixed_order()
    {
        var limits = new QuotaLimits(RequestsPerMinute: 1, TokensPerMinute: 10, ConcurrentRequests: 1, TokensPerDay: 10,
            TokensPerMonth: 10, MicrosUsdPerDay: 10, MicrosUsdPerMonth: 10);
        Assert.True((await AdmitAsync(T0, limits, tokens: 10, cost: 10, id: "a")).Admitted);
        AssertRefused(await AdmitAsync(T0, limits, tokens: 1, cost: 1), QuotaScope.User, QuotaKind.ConcurrentRequests, 1, Ttl);
        await SettleAsync("a", T0, limits, tokens: 10, cost: 10);
        AssertRefused(await AdmitAsync(T0, limits, tokens: 1, cost: 1), QuotaScope.User, QuotaKind.RequestsPerMinute, 1, TimeSpan.FromSeconds(60));
        var later = T0.AddMinutes(2);
        AssertRefused(await AdmitAsync(later, limits, tokens: 1, cost: 1), QuotaScope.User, QuotaKind.TokensPerDay, 10, TimeSpan.FromHours(12) - TimeSpan.FromMinutes(2));
        AssertRefused(await AdmitAsync(later, limits with { TokensPerDay = null }, tokens: 1, cost: 1), QuotaScope.User, QuotaKind.TokensPerMonth, 10,
            TimeSpan.FromDays(21) + TimeSpan.FromHours(12) - TimeSpan.FromMinutes(2));
        AssertRefused(await AdmitAsync(later, limits with { TokensPerDay = null, TokensPerMonth = null }, cost: 1), QuotaScope.User, QuotaKind.MoneyPerDay, 10,
            TimeSpan.FromHours(12) - TimeSpan.FromMinutes(2));
        AssertRefused(await AdmitAsync(later, limits with { TokensPerDay = null, TokensPerMonth = null, MicrosUsdPerDay = null }, cost: 1),
            QuotaScope.User, QuotaKind.MoneyPerMonth, 10, TimeSpan.FromDays(21) + TimeSpan.FromHours(12) - TimeSpan.FromMinutes(2));
    }
}
