using Microsoft.Extensions.Options;
using Parley.Tokenizer;

namespace Parley.Sim.Hosting;

/// <summary>Rejects settings the simulator cannot honour, at start rather than on the first request.</summary>
internal sealed class SimulatorOptionsValidator : IValidateOptions<SimulatorOptions>
{
    public ValidateOptionsResult Validate(string? name, SimulatorOptions options)
    {
        var failures = new List<string>();
        if (options.Models.Any(string.IsNullOrWhiteSpace))
        {
            failures.Add("Simulator:Models must not contain empty names.");
        }
        if (options.ApiKeys.Any(string.IsNullOrWhiteSpace))
        {
            failures.Add("Simulator:ApiKeys must not contain empty keys.");
        }
        Encoding(options.DefaultEncoding, "Simulator:DefaultEncoding", failures);
        foreach (var (model, encoding) in options.ModelEncodings)
        {
            if (string.IsNullOrWhiteSpace(model))
            {
                failures.Add("Simulator:ModelEncodings must not contain empty model names.");
            }
            Encoding(encoding, $"Simulator:ModelEncodings:{model}", failures);
        }
        NonNegative(options.ContextWindow, nameof(options.ContextWindow), failures);
        foreach (var (model, window) in options.ModelContextWindows)
        {
            if (string.IsNullOrWhiteSpace(model))
            {
                failures.Add("Simulator:ModelContextWindows must not contain empty model names.");
            }
            NonNegative(window, $"ModelContextWindows:{model}", failures);
        }
        Positive(options.ResponseTokens, nameof(options.ResponseTokens), failures);
        Positive(options.TokensPerChunk, nameof(options.TokensPerChunk), failures);
        Positive(options.CutAfterChunks, nameof(options.CutAfterChunks), failures);
        Positive(options.MaxRequestBodyBytes, nameof(options.MaxRequestBodyBytes), failures);
        NonNegative(options.RequestsPerWindow, nameof(options.RequestsPerWindow), failures);
        NonNegative(options.TokensPerWindow, nameof(options.TokensPerWindow), failures);
        NonNegative(options.RecordedRequests, nameof(options.RecordedRequests), failures);
        if (options.TimeToFirstToken < TimeSpan.Zero)
        {
            failures.Add("Simulator:TimeToFirstToken must not be negative.");
        }
        if (options.RateLimitWindow <= TimeSpan.Zero)
        {
            failures.Add("Simulator:RateLimitWindow must be positive.");
        }
        if (!double.IsFinite(options.TokensPerSecond) || options.TokensPerSecond < 0)
        {
            failures.Add("Simulator:TokensPerSecond must be 0 (unpaced) or positive.");
        }
        if (options.ContentPolicyTrigger is { Length: > 0 } trigger && string.IsNullOrWhiteSpace(trigger))
        {
            failures.Add("Simulator:ContentPolicyTrigger must not be only white space (it would refuse nearly every prompt); leave it empty to turn the check off.");
        }
        if (options.RateLimitRetryAfter <= TimeSpan.Zero)
        {
            failures.Add("Simulator:RateLimitRetryAfter must be positive.");
        }
        Rate(options.ServerErrorRate, nameof(options.ServerErrorRate), failures);
        Rate(options.RateLimitRate, nameof(options.RateLimitRate), failures);
        Rate(options.TimeoutRate, nameof(options.TimeoutRate), failures);
        Rate(options.CutMidStreamRate, nameof(options.CutMidStreamRate), failures);
        Rate(options.CutBeforeFirstByteRate, nameof(options.CutBeforeFirstByteRate), failures);
        if (options.ServerErrorRate + options.RateLimitRate + options.TimeoutRate + options.CutMidStreamRate + options.CutBeforeFirstByteRate > 1)
        {
            failures.Add("Simulator fault rates must add up to at most 1.");
        }
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static void Encoding(string? name, string setting, List<string> failures)
    {
        if (name is not (TiktokenEncoding.O200kBaseName or TiktokenEncoding.Cl100kBaseName))
        {
            failures.Add($"{setting} must be {TiktokenEncoding.O200kBaseName} or {TiktokenEncoding.Cl100kBaseName} (was '{name}').");
        }
    }

    private static void Positive(int value, string name, List<string> failures)
    {
        if (value <= 0)
        {
            failures.Add($"Simulator:{name} must be positive (was {value}).");
        }
    }

    private static void NonNegative(int value, string name, List<string> failures)
    {
        if (value < 0)
        {
            failures.Add($"Simulator:{name} must not be negative (was {value}).");
        }
    }

    private static void Rate(double value, string name, List<string> failures)
    {
        if (!double.IsFinite(value) || value < 0 || value > 1)
        {
            failures.Add($"Simulator:{name} must be between 0 and 1 (was {value}).");
        }
    }
}
