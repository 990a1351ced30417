using Parley.GrainInterfaces.Quotas;
using Parley.Grains.Quotas;
using Parley.Grains.Quotas.Ledger;

namespace Parley.Grains.Tests.Quotas;

/// <summary>Releasing an admission whose answer never reached its caller (the caller refused the request instead):
/// whether the admission ran or not, the request ends up counted nowhere.</summary>
public abstract partial class QuotaLedgerContractTests
{
    protected Task<bool> ReleaseAsync(string id, DateTimeOffset now, string keyId = KeyA, TimeSpan? ttl = null)
        => Ledger.ReleaseAsync(new ReleaseRequest(User, keyId, id, now, ttl ?? Ttl));

    [Fact]
    public async Task Releasing_an_admission_gives_back_its_window_place_tokens_budgets_and_concurrency_slot()
    {
        var user = new QuotaLimits(RequestsPerMinute: 2, TokensPerMinute: 1000, ConcurrentRequests: 1, TokensPerDay: 1000, MicrosUsdPerMonth: 900);
        var key = new QuotaLimits(RequestsPerMinute: 1, TokensPerDay: 600);
        Assert.True((await AdmitAsync(T0, user, key, tokens: 600, cost: 900, id: "a")).Admitted);
        AssertRefused(await AdmitAsync(T0, user, key, tokens: 1), QuotaScope.User, QuotaKind.ConcurrentRequests, 1, Ttl);

        Assert.True(await ReleaseAsync("a", T0.AddSeconds(1)));

        var usage = await Ledger.GetUsageAsync(User, null, T0.AddSeconds(1));
        Assert.Equal((0L, 0L, 0L, 0L, 0L, 0L), (usage.RequestsLastMinute, usage.TokensLastMinute, usage.ConcurrentRequests, usage.TokensToday,
            usage.TokensThisMonth, usage.MicrosUsdThisMonth));
        var keyUsage = await Ledger.GetUsageAsync(User, KeyA, T0.AddSeconds(1));
        Assert.Equal((0L, 0L, 0L), (keyUsage.RequestsLastMinute, keyUsage.ConcurrentRequests, keyUsage.TokensToday));
        // The whole of every limit is there again, for the key too.
        var next = await AdmitAsync(T0.AddSeconds(1), user, key, tokens: 600, cost: 900, id: "b");
        Assert.True(next.Admitted);
        Assert.Equal(new WindowState(1, 0, TimeSpan.FromSeconds(60)), next.Requests);
    }

    [Fact]
    public async Task An_id_released_before_its_admission_ran_makes_the_admission_refuse_itself()
    {
        var limits = new QuotaLimits(RequestsPerMinute: 1, TokensPerDay: 100);
        Assert.False(await ReleaseAsync("late", T0));
        Assert.False(await ReleaseAsync("late", T0.AddMilliseconds(1)));

        await Assert.ThrowsAsync<ReleasedReservationException>(() => AdmitAsync(T0.AddMilliseconds(2), limits, tokens: 10, id: "late"));

        var usage = await Ledger.GetUsageAsync(User, null, T0.AddMilliseconds(2));
        Assert.Equal((0L, 0L, 0L), (usage.RequestsLastMinute, usage.ConcurrentRequests, usage.TokensToday));
        Assert.True((await AdmitAsync(T0.AddMilliseconds(3), limits, tokens: 100)).Admitted);
    }

    [Fact]
    public async Task A_release_is_idempotent_and_leaves_a_settled_reservation_alone()
    {
        var limits = new QuotaLimits(RequestsPerMinute: 10, TokensPerDay: 1000);
        Assert.True((await AdmitAsync(T0, limits, tokens: 100, id: "a")).Admitted);
        Assert.True(await ReleaseAsync("a", T0));
        Assert.False(await ReleaseAsync("a", T0));
        Assert.True((await AdmitAsync(T0, limits, tokens: 100, id: "b")).Admitted);
        Assert.True((await SettleAsync("b", T0.AddSeconds(1), limits, tokens: 70)).Settled);

        Assert.False(await ReleaseAsync("b", T0.AddSeconds(2)));

        var usage = await Ledger.GetUsageAsync(User, null, T0.AddSeconds(2));
        Assert.Equal((1L, 70L, 0L), (usage.RequestsLastMinute, usage.TokensToday, usage.ConcurrentRequests));
    }

    [Fact]
    public async Task Releasing_an_expired_reservation_takes_only_its_window_place_back()
    {
        var limits = new QuotaLimits(RequestsPerMinute: 1, TokensPerDay: 1000);
        Assert.True((await AdmitAsync(T0, limits, tokens: 100, id: "a", ttl: TimeSpan.FromSeconds(5))).Admitted);

        // Expired at T0 + 5 s: its reserved tokens are back already; its place in the minute window is taken back now.
        Assert.True(await ReleaseAsync("a", T0.AddSeconds(10)));

        var usage = await Ledger.GetUsageAsync(User, null, T0.AddSeconds(10));
        Assert.Equal((0L, 0L, 0L), (usage.RequestsLastMinute, usage.TokensToday, usage.ConcurrentRequests));
        Assert.True((await AdmitAsync(T0.AddSeconds(10), limits, tokens: 1000)).Admitted);
    }

    [Fact]
    public async Task A_release_names_the_key_the_admission_was_for()
    {
        var limits = new QuotaLimits(RequestsPerMinute: 10);
        Assert.True((await AdmitAsync(T0, limits, id: "a")).Admitted);
        await Assert.ThrowsAnyAsync<InvalidOperationException>(() => ReleaseAsync("a", T0, keyId: "key_b"));
        Assert.Equal(1, (await Ledger.GetUsageAsync(User, null, T0)).RequestsLastMinute);
    }
}
