using Microsoft.Extensions.Options;

namespace Parley.Silo.Auth;

/// <summary>Parley:Auth. Keys set here are held in memory only as their SHA-256 hash.</summary>
public sealed class AuthOptions
{
    public const string SectionName = "Parley:Auth";
    public static readonly TimeSpan DefaultCacheTtl = TimeSpan.FromSeconds(5);
    public static readonly TimeSpan MaxCacheTtl = TimeSpan.FromMinutes(5);
    public const int DefaultCacheCapacity = 10_000;
    public static readonly TimeSpan DefaultRevocationTimeout = TimeSpan.FromSeconds(2);
    public const int MinConfiguredKeyLength = 16;

    /// <summary>A fixed admin key. When unset, the first silo to start on an empty store generates one and prints it once.</summary>
    public string? AdminKey { get; set; }

    /// <summary>A fixed key for the bootstrap user "default" (instead of a generated one).</summary>
    public string? BootstrapUserKey { get; set; }

    /// <summary>How long a silo trusts a successful key lookup without asking the store again. A revoke or a disable
    /// clears every active silo's cache before it answers; this bounds only a silo that did not confirm in time.</summary>
    public TimeSpan CacheTtl { get; set; } = DefaultCacheTtl;

    /// <summary>Bound on cached keys per silo; when reached the cache starts over (only valid keys are cached).</summary>
    public int CacheCapacity { get; set; } = DefaultCacheCapacity;

    /// <summary>How long a revoke or a disable waits for each other silo to confirm that it forgot the credential.</summary>
    public TimeSpan RevocationTimeout { get; set; } = DefaultRevocationTimeout;
}

internal sealed class AuthOptionsValidator : IValidateOptions<AuthOptions>
{
    public ValidateOptionsResult Validate(string? name, AuthOptions options)
    {
        var failures = new List<string>();
        if (options.CacheTtl < TimeSpan.Zero || options.CacheTtl > AuthOptions.MaxCacheTtl)
        {
            failures.Add($"{AuthOptions.SectionName}:CacheTtl must be between 0 and {AuthOptions.MaxCacheTtl}.");
        }
        if (options.RevocationTimeout <= TimeSpan.Zero || options.RevocationTimeout > AuthOptions.MaxCacheTtl)
        {
            failures.Add($"{AuthOptions.SectionName}:RevocationTimeout must be above 0 and at most {AuthOptions.MaxCacheTtl}.");
        }
        if (options.CacheCapacity < 1)
        {
            failures.Add($"{AuthOptions.SectionName}:CacheCapacity must be at least 1.");
        }
        ValidateKey(options.AdminKey, nameof(AuthOptions.AdminKey), failures);
        ValidateKey(options.BootstrapUserKey, nameof(AuthOptions.BootstrapUserKey), failures);
        if (!string.IsNullOrEmpty(options.AdminKey) && options.AdminKey == options.BootstrapUserKey)
        {
            failures.Add($"{AuthOptions.SectionName}:AdminKey and BootstrapUserKey must differ.");
        }
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    // Never echo the value: these are secrets.
    private static void ValidateKey(string? key, string name, List<string> failures)
    {
        if (string.IsNullOrEmpty(key))
        {
            return;
        }
        if (key.Length < AuthOptions.MinConfiguredKeyLength || key.Length > ApiKeySecrets.MaxSecretLength)
        {
            failures.Add($"{AuthOptions.SectionName}:{name} must be {AuthOptions.MinConfiguredKeyLength} to {ApiKeySecrets.MaxSecretLength} characters long.");
        }
        if (key.AsSpan().ContainsAny(" \t\r\n"))
        {
            failures.Add($"{AuthOptions.SectionName}:{name} must not contain whitespace.");
        }
    }
}
