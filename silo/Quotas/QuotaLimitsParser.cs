using System.Text.Json;
using Parley.GrainInterfaces.Quotas;
using Parley.Silo.Api;

namespace Parley.Silo.Quotas;

/// <summary>Reads a limits body (<c>PUT …/limits</c>): each field optional, null or absent meaning no limit; counts are
/// positive integers, money a non-negative number of USD.</summary>
internal static class QuotaLimitsParser
{
    internal const long MaxCount = 1_000_000_000_000;
    internal const decimal MaxUsd = 1_000_000_000m;

    public static (QuotaLimits? Limits, ApiError? Error) Parse(JsonElement root)
    {
        int? rpm = null, tpm = null, concurrent = null;
        long? perDay = null, perMonth = null;
        decimal? usdDay = null, usdMonth = null;
        foreach (var property in root.EnumerateObject())
        {
            var value = property.Value;
            ApiError? error = null;
            switch (property.Name)
            {
                case "requests_per_minute": error = ReadCount(value, property.Name, int.MaxValue, v => rpm = (int)v); break;
                case "tokens_per_minute": error = ReadCount(value, property.Name, int.MaxValue, v => tpm = (int)v); break;
                case "concurrent_requests": error = ReadCount(value, property.Name, int.MaxValue, v => concurrent = (int)v); break;
                case "tokens_per_day": error = ReadCount(value, property.Name, MaxCount, v => perDay = v); break;
                case "tokens_per_month": error = ReadCount(value, property.Name, MaxCount, v => perMonth = v); break;
                case "usd_per_day": error = ReadUsd(value, property.Name, v => usdDay = v); break;
                case "usd_per_month": error = ReadUsd(value, property.Name, v => usdMonth = v); break;
                default: error = InputErrors.Unknown(property.Name); break;
            }
            if (error is not null)
            {
                return (null, error);
            }
        }
        return (new QuotaLimits(rpm, tpm, concurrent, perDay, perMonth, QuotaMoney.ToMicros(usdDay), QuotaMoney.ToMicros(usdMonth)), null);
    }

    private static ApiError? ReadCount(JsonElement value, string name, long max, Action<long> set)
    {
        if (value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }
        if (value.ValueKind != JsonValueKind.Number || !value.TryGetInt64(out var count))
        {
            return InputErrors.WrongType(name, "an integer", value.ValueKind);
        }
        if (count < 1 || count > max)
        {
            return InputErrors.InvalidValue(name, $"Invalid '{name}': expected a value between 1 and {max}, but got {count} instead.");
        }
        set(count);
        return null;
    }

    private static ApiError? ReadUsd(JsonElement value, string name, Action<decimal> set)
    {
        if (value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }
        if (value.ValueKind != JsonValueKind.Number || !value.TryGetDecimal(out var usd))
        {
            return InputErrors.WrongType(name, "a number", value.ValueKind);
        }
        if (usd < 0 || usd > MaxUsd)
        {
            return InputErrors.InvalidValue(name, $"Invalid '{name}': expected an amount of USD between 0 and {MaxUsd}.");
        }
        set(usd);
        return null;
    }
}
