using Microsoft.Extensions.Options;

namespace Parley.Runtime.Hosting;

internal sealed class GrainRuntimeOptionsValidator : IValidateOptions<GrainRuntimeOptions>
{
    public ValidateOptionsResult Validate(string? name, GrainRuntimeOptions options)
    {
        var failures = new List<string>();
        RequirePositive(failures, nameof(options.DefaultCollectionAge), options.DefaultCollectionAge);
        RequirePositive(failures, nameof(options.CollectionQuantum), options.CollectionQuantum);
        RequirePositive(failures, nameof(options.DeactivationTimeout), options.DeactivationTimeout);
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    internal static void RequirePositive(List<string> failures, string name, TimeSpan value, string section = GrainRuntimeOptions.SectionName)
    {
        if (value <= TimeSpan.Zero || value == Timeout.InfiniteTimeSpan)
        {
            failures.Add($"{section}:{name} must be a positive finite time span (was {value}).");
        }
    }
}
