using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Parley.Grains.Redis;

internal sealed class RedisOptionsValidator : IValidateOptions<RedisOptions>
{
    public ValidateOptionsResult Validate(string? name, RedisOptions options)
    {
        var failures = new List<string>();
        if (string.IsNullOrWhiteSpace(options.ConnectionString))
        {
            failures.Add($"{RedisOptions.SectionName}:ConnectionString is required when Redis providers are used.");
        }
        else
        {
            try
            {
                if (ConfigurationOptions.Parse(options.ConnectionString).EndPoints.Count == 0)
                {
                    failures.Add($"{RedisOptions.SectionName}:ConnectionString names no endpoint.");
                }
            }
            catch (ArgumentException ex)
            {
                failures.Add($"{RedisOptions.SectionName}:ConnectionString is invalid: {ex.Message}");
            }
        }
        if (string.IsNullOrWhiteSpace(options.KeyPrefix))
        {
            failures.Add($"{RedisOptions.SectionName}:KeyPrefix must not be empty.");
        }
        else if (options.KeyPrefix.AsSpan().IndexOfAny('{', '}') >= 0)
        {
            // Braces would change which part of the key Redis Cluster hashes, splitting one grain over several slots.
            failures.Add($"{RedisOptions.SectionName}:KeyPrefix must not contain '{{' or '}}'.");
        }
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
