using System.Globalization;
using System.Text.Json;
using Parley.Sim.Api;

namespace Parley.Sim.Chat;

/// <summary>Typed reads of a request field at the reader's current token, answering OpenAI's errors for the
/// wrong type or an out-of-range value. A JSON null always means "not given".</summary>
internal static class JsonFields
{
    public static SimError? ReadBoolean(ref Utf8JsonReader reader, string param, out bool? value)
    {
        value = reader.TokenType switch
        {
            JsonTokenType.True => true,
            JsonTokenType.False => false,
            _ => null,
        };
        return value is null && reader.TokenType != JsonTokenType.Null ? SimErrors.InvalidType(param, "a boolean", Describe(ref reader)) : null;
    }

    public static SimError? ReadPositiveInteger(ref Utf8JsonReader reader, string param, out int? value)
    {
        value = null;
        if (reader.TokenType == JsonTokenType.Null)
        {
            return null;
        }
        if (reader.TokenType != JsonTokenType.Number || !reader.TryGetInt64(out var number))
        {
            return SimErrors.InvalidType(param, "an integer", Describe(ref reader));
        }
        if (number < 1)
        {
            return SimErrors.BelowMinimum(param, "1", number.ToString(CultureInfo.InvariantCulture), "integer_below_min_value");
        }
        value = (int)Math.Min(number, int.MaxValue);
        return null;
    }

    public static SimError? ReadNumberInRange(ref Utf8JsonReader reader, string param, double min, double max)
    {
        if (reader.TokenType == JsonTokenType.Null)
        {
            return null;
        }
        if (reader.TokenType != JsonTokenType.Number || !reader.TryGetDouble(out var number))
        {
            return SimErrors.InvalidType(param, "a number", Describe(ref reader));
        }
        var text = number.ToString(CultureInfo.InvariantCulture);
        return number < min ? SimErrors.BelowMinimum(param, min.ToString(CultureInfo.InvariantCulture), text, "decimal_below_min_value")
            : number > max ? SimErrors.AboveMaximum(param, max.ToString(CultureInfo.InvariantCulture), text, "decimal_above_max_value")
            : null;
    }

    // OpenAI's wording for the type it got.
    public static string Describe(ref Utf8JsonReader reader) => reader.TokenType switch
    {
        JsonTokenType.String => "a string",
        JsonTokenType.Number => reader.TryGetInt64(out _) ? "an integer" : "a decimal",
        JsonTokenType.True or JsonTokenType.False => "a boolean",
        JsonTokenType.Null => "null",
        JsonTokenType.StartObject => "an object",
        JsonTokenType.StartArray => "an array",
        _ => "an unexpected token",
    };
}
