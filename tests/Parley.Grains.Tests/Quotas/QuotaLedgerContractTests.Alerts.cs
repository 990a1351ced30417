using Parley.GrainInterfaces.Quotas;
using Parley.Grains.Quotas;

namespace Parley.Grains.Tests.Quotas;

public abstract partial class QuotaLedgerContractTests
{
    [Fact]
    public async Task Budget_alerts_fire_once_per_threshold_and_period_at_admission_and_at_settlement()
    {
        var limits = new QuotaLimits(TokensPerDay: 1000);
        Assert.Empty((await AdmitAsync(T0, limits, tokens: 400, id: "a")).Alerts);
        var fifty = await AdmitAsync(T0, limits, tokens: 100, id: "b");
        Assert.Equal([new BudgetAlert(User, null, QuotaScope.User, QuotaKind.TokensPerDay, 50, "2025-03-10", 500, 1000)], fifty.Alerts);
        Assert.Equal([80], (await AdmitAsync(T0, limits, tokens: 350, id: "c")).Alerts.Select(a => a.ThresholdPercent));

        // Falling below 80 % and crossing it again in the same day reports nothing new.
        Assert.Empty((await SettleAsync("c", T0, limits, tokens: 0)).Alerts);
        Assert.Empty((await AdmitAsync(T0, limits, tokens: 350, id: "d")).Alerts);
        // A settlement above the reservation crosses 100 %.
        var full = await SettleAsync("d", T0, limits, tokens: 500);
        Assert.Equal([new BudgetAlert(User, null, QuotaScope.User, QuotaKind.TokensPerDay, 100, "2025-03-10", 1000, 1000)], full.Alerts);

        // A new day is a new period.
        var nextDay = await AdmitAsync(T0.AddDays(1), limits, tokens: 900);
        Assert.Equal([50, 80], nextDay.Alerts.Select(a => a.ThresholdPercent));
        Assert.All(nextDay.Alerts, a => Assert.Equal("2025-03-11", a.Period));
    }

    [Fact]
    public async Task Alerts_cover_money_and_months_for_the_user_and_the_key()
    {
        var user = new QuotaLimits(MicrosUsdPerMonth: 1000, TokensPerMonth: 100);
        var key = new QuotaLimits(MicrosUsdPerDay: 800);
        var result = await AdmitAsync(T0, user, key, tokens: 50, cost: 800);
        Assert.True(result.Admitted);
        Assert.Equal(
            [
                new BudgetAlert(User, null, QuotaScope.User, QuotaKind.TokensPerMonth, 50, "2025-03", 50, 100),
                new BudgetAlert(User, null, QuotaScope.User, QuotaKind.MoneyPerMonth, 50, "2025-03", 800, 1000),
                new BudgetAlert(User, null, QuotaScope.User, QuotaKind.MoneyPerMonth, 80, "2025-03", 800, 1000),
                new BudgetAlert(User, KeyA, QuotaScope.Key, QuotaKind.MoneyPerDay, 50, "2025-03-10", 800, 800),
                new BudgetAlert(User, KeyA, QuotaScope.Key, QuotaKind.MoneyPerDay, 80, "2025-03-10", 800, 800),
                new BudgetAlert(User, KeyA, QuotaScope.Key, QuotaKind.MoneyPerDay, 100, "2025-03-10", 800, 800),
            ],
            result.Alerts.OrderBy(a => a.Scope).ThenBy(a => a.Kind).ThenBy(a => a.ThresholdPercent));
    }

    [Fact]
    public async Task Parallel_admissions_crossing_thresholds_report_each_alert_once()
    {
        var limits = new QuotaLimits(TokensPerDay: 1000);
        var admissions = await Task.WhenAll(Enumerable.Range(0, 50)
            .Select(i => Task.Run(() => AdmitAsync(T0.AddMilliseconds(i), limits, tokens: 20))));
        Assert.All(admissions, a => Assert.True(a.Admitted));
        var alerts = admissions.SelectMany(a => a.Alerts).OrderBy(a => a.ThresholdPercent).ToList();
        Assert.Equal([50, 80, 100], alerts.Select(a => a.ThresholdPercent));
        Assert.Equal([500L, 800L, 1000L], alerts.Select(a => a.Used));
        Assert.False((await AdmitAsync(T0.AddSeconds(1), limits, tokens: 1)).Admitted);
    }
}
