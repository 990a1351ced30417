using Parley.GrainInterfaces.Quotas;
using Parley.Grains.Quotas;

namespace Parley.Grains.Tests.Quotas;

public abstract partial class QuotaLedgerContractTests
{
    [Fact]
    public async Task A_key_limit_refuses_while_the_user_has_room_and_its_window_is_reported_when_lower()
    {
        var user = new QuotaLimits(RequestsPerMinute: 100, TokensPerMinute: 10_000);
        var key = new QuotaLimits(RequestsPerMinute: 2);
        var first = await AdmitAsync(T0, user, key);
        Assert.Equal(new WindowState(2, 1, TimeSpan.Zero), first.Requests);
        Assert.Equal(new WindowState(10_000, 10_000, TimeSpan.Zero), first.Tokens);
        Assert.True((await AdmitAsync(T0.AddSeconds(1), user, key)).Admitted);
        var refused = await AdmitAsync(T0.AddSeconds(2), user, key);
        AssertRefused(refused, QuotaScope.Key, QuotaKind.RequestsPerMinute, 2, TimeSpan.FromSeconds(58));
        Assert.Equal(new WindowState(2, 0, TimeSpan.FromSeconds(58)), refused.Requests);

        // The refusal reserved nothing for the user; another key of the same user is not limited.
        Assert.Equal(2, (await Ledger.GetUsageAsync(User, null, T0.AddSeconds(2))).RequestsLastMinute);
        Assert.Equal(2, (await Ledger.GetUsageAsync(User, KeyA, T0.AddSeconds(2))).RequestsLastMinute);
        var other = await AdmitAsync(T0.AddSeconds(2), user, keyId: "key_b");
        Assert.True(other.Admitted);
        Assert.Equal(new WindowState(100, 97, TimeSpan.Zero), other.Requests);
    }

    [Fact]
    public async Task A_refusal_by_the_key_reserves_nothing_for_the_user()
    {
        var user = new QuotaLimits(TokensPerDay: 1000, ConcurrentRequests: 5);
        var key = new QuotaLimits(TokensPerDay: 100, MicrosUsdPerDay: 50);
        Assert.True((await AdmitAsync(T0, user, key, tokens: 60, cost: 10)).Admitted);
        AssertRefused(await AdmitAsync(T0, user, key, tokens: 50, cost: 10), QuotaScope.Key, QuotaKind.TokensPerDay, 100, TimeSpan.FromHours(12));
        AssertRefused(await AdmitAsync(T0, user, key, tokens: 10, cost: 41), QuotaScope.Key, QuotaKind.MoneyPerDay, 50, TimeSpan.FromHours(12));

        var usage = await Ledger.GetUsageAsync(User, null, T0);
        Assert.Equal((1L, 1L, 60L, 10L), (usage.RequestsLastMinute, usage.ConcurrentRequests, usage.TokensToday, usage.MicrosUsdToday));
        var keyUsage = await Ledger.GetUsageAsync(User, KeyA, T0);
        Assert.Equal((1L, 1L, 60L, 10L), (keyUsage.RequestsLastMinute, keyUsage.ConcurrentRequests, keyUsage.TokensToday, keyUsage.MicrosUsdToday));
        // The user's own limits come first: a user refusal names the user even when the key would refuse too.
        AssertRefused(await AdmitAsync(T0, user with { TokensPerDay = 100 }, key, tokens: 50), QuotaScope.User, QuotaKind.TokensPerDay, 100, TimeSpan.FromHours(12));
    }

    [Fact]
    public async Task Key_concurrency_counts_the_key_only()
    {
        var key = new QuotaLimits(ConcurrentRequests: 1);
        Assert.True((await AdmitAsync(T0, QuotaLimits.None, key, id: "a")).Admitted);
        AssertRefused(await AdmitAsync(T0.AddSeconds(5), QuotaLimits.None, key), QuotaScope.Key, QuotaKind.ConcurrentRequests, 1, Ttl - TimeSpan.FromSeconds(5));
        Assert.True((await AdmitAsync(T0.AddSeconds(5), QuotaLimits.None, key, keyId: "key_b")).Admitted);
        Assert.True((await SettleAsync("a", T0.AddSeconds(6), QuotaLimits.None, tokens: 0, key: key)).Settled);
        Assert.True((await AdmitAsync(T0.AddSeconds(6), QuotaLimits.None, key)).Admitted);
    }

    [Fact]
    public async Task Expired_reservations_are_released_by_the_next_call()
    {
        var limits = new QuotaLimits(ConcurrentRequests: 1, TokensPerDay: 1000, MicrosUsdPerMonth: 1000);
        var ttl = TimeSpan.FromMinutes(1);
        Assert.True((await AdmitAsync(T0, limits, tokens: 800, cost: 600, id: "lost", ttl: ttl)).Admitted);
        AssertRefused(await AdmitAsync(T0.AddSeconds(30), limits, tokens: 100, ttl: ttl), QuotaScope.User, QuotaKind.ConcurrentRequests, 1, TimeSpan.FromSeconds(30));

        // At its expiry the reservation gives back its slot, its tokens and its money.
        var usage = await Ledger.GetUsageAsync(User, KeyA, T0.Add(ttl));
        Assert.Equal((0L, 0L, 0L), (usage.ConcurrentRequests, usage.TokensToday, usage.MicrosUsdThisMonth));
        Assert.True((await AdmitAsync(T0.Add(ttl), limits, tokens: 800, cost: 600, ttl: ttl)).Admitted);
        Assert.Equal(800, (await Ledger.GetUsageAsync(User, null, T0.Add(ttl))).TokensToday);
        Assert.False((await SettleAsync("lost", T0.Add(ttl), limits, tokens: 800, cost: 600)).Settled);
        Assert.Equal(800, (await Ledger.GetUsageAsync(User, null, T0.Add(ttl))).TokensToday);
    }

    [Fact]
    public async Task A_reservation_made_before_midnight_is_settled_against_its_own_day()
    {
        var limits = new QuotaLimits(TokensPerDay: 1000);
        var beforeMidnight = new DateTimeOffset(2025, 3, 10, 23, 59, 0, TimeSpan.Zero);
        Assert.True((await AdmitAsync(beforeMidnight, limits, tokens: 500, id: "a")).Admitted);
        Assert.True((await AdmitAsync(beforeMidnight, limits, tokens: 100, id: "b", ttl: TimeSpan.FromMinutes(2))).Admitted);
        var afterMidnight = beforeMidnight.AddMinutes(3);
        Assert.True((await SettleAsync("a", afterMidnight, limits, tokens: 200)).Settled);
        var usage = await Ledger.GetUsageAsync(User, null, afterMidnight);
        Assert.Equal(("2025-03-11", 0L, 200L), (usage.Day, usage.TokensToday, usage.TokensThisMonth));
        Assert.True((await AdmitAsync(afterMidnight, limits, tokens: 1000)).Admitted);
    }

    [Fact]
    public async Task Settling_is_idempotent()
    {
        var limits = new QuotaLimits(TokensPerDay: 1000, ConcurrentRequests: 3);
        Assert.True((await AdmitAsync(T0, limits, tokens: 500, id: "a")).Admitted);
        Assert.True((await SettleAsync("a", T0.AddSeconds(1), limits, tokens: 300)).Settled);
        Assert.False((await SettleAsync("a", T0.AddSeconds(2), limits, tokens: 900)).Settled);
        Assert.False((await SettleAsync("never", T0.AddSeconds(2), limits, tokens: 900)).Settled);
        var usage = await Ledger.GetUsageAsync(User, null, T0.AddSeconds(2));
        Assert.Equal((300L, 0L, 300L), (usage.TokensToday, usage.ConcurrentRequests, usage.TokensLastMinute));
    }

    [Fact]
    public async Task A_reservation_id_in_flight_cannot_be_admitted_again()
    {
        Assert.True((await AdmitAsync(T0, QuotaLimits.None, tokens: 5, id: "a")).Admitted);
        await Assert.ThrowsAsync<Parley.Grains.Quotas.Ledger.DuplicateReservationException>(() => AdmitAsync(T0, QuotaLimits.None, tokens: 5, id: "a"));
        Assert.Equal(5, (await Ledger.GetUsageAsync(User, null, T0)).TokensLastMinute);
    }
}
