using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Parley.Sim.Api;
using Parley.Sim.Auth;
using Parley.Sim.Chat;
using Parley.Sim.Hosting;

namespace Parley.Sim.Faults;

/// <summary>GET /sim/faults shows the fault settings in force; POST /sim/faults changes any of them at run time
/// (<see cref="FaultControl"/>), behind the same key check as the API. Rates are probabilities in [0, 1] adding up
/// to at most 1; times are milliseconds; <c>fault_seed</c> reseeds the dice.</summary>
internal sealed class FaultEndpoints(FaultControl control, SimulatorAuthenticator authenticator, ILogger<FaultEndpoints> logger)
{
    // A settings object is a few hundred bytes; anything much larger is not one.
    private const int MaxBodyBytes = 64 * 1024;

    public Task GetAsync(HttpContext context)
    {
        if (authenticator.Check(context.Request) is { } error)
        {
            return SimErrors.WriteAsync(context, error);
        }
        return WriteAsync(context);
    }

    public async Task PostAsync(HttpContext context)
    {
        if (authenticator.Check(context.Request) is { } authError)
        {
            await SimErrors.WriteAsync(context, authError);
            return;
        }
        if (await RequestBody.ReadWholeAsync(context, MaxBodyBytes) is not { } result)
        {
            await SimErrors.WriteAsync(context, SimErrors.TooLarge(MaxBodyBytes));
            return;
        }
        var rates = control.Current;
        int? seed = null;
        SimError? error;
        try
        {
            error = Parse(new Utf8JsonReader(result.Buffer), ref rates, ref seed);
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException)
        {
            error = SimErrors.InvalidJson;
        }
        context.Request.BodyReader.AdvanceTo(result.Buffer.End);
        if (error is null && rates.Problem() is { } problem)
        {
            error = SimErrors.InvalidValue(null, problem);
        }
        if (error is not null)
        {
            await SimErrors.WriteAsync(context, error);
            return;
        }
        control.Set(rates, seed);
        SimulatorLog.FaultSettingsChanged(logger, rates, control.Seed);
        await WriteAsync(context);
    }

    private static SimError? Parse(Utf8JsonReader reader, ref FaultRates rates, ref int? seed)
    {
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            return reader.TokenType == JsonTokenType.None ? SimErrors.InvalidJson : SimErrors.InvalidType("body", "an object", JsonFields.Describe(ref reader));
        }
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var name = reader.GetString()!;
            reader.Read();
            if (name == "fault_seed")
            {
                if (reader.TokenType != JsonTokenType.Number || !reader.TryGetInt32(out var value))
                {
                    return SimErrors.InvalidType(name, "an integer", JsonFields.Describe(ref reader));
                }
                seed = value;
                continue;
            }
            if (reader.TokenType != JsonTokenType.Number || !reader.TryGetDouble(out var number) || !double.IsFinite(number))
            {
                return SimErrors.InvalidType(name, "a number", JsonFields.Describe(ref reader));
            }
            var text = number.ToString(CultureInfo.InvariantCulture);
            switch (name)
            {
                case "server_error_rate" or "rate_limit_rate" or "timeout_rate" or "cut_mid_stream_rate" or "cut_before_first_byte_rate":
                    if (number is < 0 or > 1)
                    {
                        return number < 0 ? SimErrors.BelowMinimum(name, "0", text, "decimal_below_min_value") : SimErrors.AboveMaximum(name, "1", text, "decimal_above_max_value");
                    }
                    rates = name switch
                    {
                        "server_error_rate" => rates with { ServerErrorRate = number },
                        "rate_limit_rate" => rates with { RateLimitRate = number },
                        "timeout_rate" => rates with { TimeoutRate = number },
                        "cut_mid_stream_rate" => rates with { CutMidStreamRate = number },
                        _ => rates with { CutBeforeFirstByteRate = number },
                    };
                    break;
                case "time_to_first_token_ms":
                    if (number < 0)
                    {
                        return SimErrors.BelowMinimum(name, "0", text, "decimal_below_min_value");
                    }
                    rates = rates with { TimeToFirstToken = TimeSpan.FromMilliseconds(number) };
                    break;
                case "rate_limit_retry_after_ms":
                    if (number <= 0)
                    {
                        return SimErrors.InvalidValue(name, $"Invalid '{name}': expected a positive number of milliseconds, but got {text} instead.");
                    }
                    rates = rates with { RateLimitRetryAfter = TimeSpan.FromMilliseconds(number) };
                    break;
                default:
                    return SimErrors.InvalidValue(name, $"Unknown setting '{name}'. Known settings are: {KnownSettings}.");
            }
        }
        return reader.Read() ? SimErrors.InvalidJson : null;
    }

    private const string KnownSettings = "server_error_rate, rate_limit_rate, timeout_rate, cut_mid_stream_rate, cut_before_first_byte_rate, time_to_first_token_ms, rate_limit_retry_after_ms, fault_seed";

    private Task WriteAsync(HttpContext context)
    {
        var rates = control.Current;
        var view = new FaultSettingsView(rates.ServerErrorRate, rates.RateLimitRate, rates.TimeoutRate, rates.CutMidStreamRate, rates.CutBeforeFirstByteRate,
            rates.TimeToFirstToken.TotalMilliseconds, rates.RateLimitRetryAfter.TotalMilliseconds, control.Seed);
        return context.Response.WriteAsJsonAsync(view, SimJsonContext.Default.FaultSettingsView, "application/json", context.RequestAborted);
    }
}
