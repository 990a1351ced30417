using System.Text.Json;
using System.Text.Json.Serialization;
using Parley.Grains.Quotas;

namespace Parley.Silo.Quotas.Alerts;

/// <summary>The webhook body. Money is in USD (the ledger's micro-USD divided out), tokens as counted.</summary>
internal sealed record QuotaAlertPayload(
    [property: JsonPropertyName("type")] string Type,
    [property: JsonPropertyName("user_id")] string UserId,
    [property: JsonPropertyName("key_id")] string? KeyId,
    [property: JsonPropertyName("scope")] string Scope,
    [property: JsonPropertyName("budget")] string Budget,
    [property: JsonPropertyName("threshold_percent")] int ThresholdPercent,
    [property: JsonPropertyName("period")] string Period,
    [property: JsonPropertyName("used")] decimal Used,
    [property: JsonPropertyName("limit")] decimal Limit,
    [property: JsonPropertyName("occurred_at")] long OccurredAt)
{
    public const string EventType = "quota.threshold_crossed";

    public static QuotaAlertPayload From(BudgetAlert alert, DateTimeOffset occurredAt) => new(
        EventType,
        alert.UserId,
        alert.KeyId,
        QuotaAlertNames.Scope(alert.Scope),
        QuotaAlertNames.Budget(alert.Kind),
        alert.ThresholdPercent,
        alert.Period,
        QuotaAlertNames.InBudgetUnit(alert.Kind, alert.Used),
        QuotaAlertNames.InBudgetUnit(alert.Kind, alert.Limit),
        occurredAt.ToUnixTimeSeconds());

    public byte[] ToUtf8Json() => JsonSerializer.SerializeToUtf8Bytes(this, QuotaAlertJsonContext.Default.QuotaAlertPayload);
}

[JsonSerializable(typeof(QuotaAlertPayload))]
internal sealed partial class QuotaAlertJsonContext : JsonSerializerContext;

/// <summary>The wire names shared by the webhook, the log and the metric tags.</summary>
internal static class QuotaAlertNames
{
    private const decimal MicrosPerUsd = 1_000_000m;

    public static string Scope(QuotaScope scope) => scope == QuotaScope.Key ? "key" : "user";

    public static string Budget(QuotaKind kind) => kind switch
    {
        QuotaKind.TokensPerDay => "tokens_per_day",
        QuotaKind.TokensPerMonth => "tokens_per_month",
        QuotaKind.MoneyPerDay => "usd_per_day",
        QuotaKind.MoneyPerMonth => "usd_per_month",
        QuotaKind.RequestsPerMinute => "requests_per_minute",
        QuotaKind.TokensPerMinute => "tokens_per_minute",
        QuotaKind.ConcurrentRequests => "concurrent_requests",
        _ => "unknown",
    };

    public static bool IsMoney(QuotaKind kind) => kind is QuotaKind.MoneyPerDay or QuotaKind.MoneyPerMonth;

    public static decimal InBudgetUnit(QuotaKind kind, long value) => IsMoney(kind) ? value / MicrosPerUsd : value;
}
