using Microsoft.Extensions.Options;

namespace Parley.Silo.Cache;

/// <summary>Who shares a cached completion.</summary>
public enum ResponseCacheScope
{
    /// <summary>The key includes the caller's user id: a user is only ever answered from their own earlier requests.</summary>
    User,

    /// <summary>Every caller shares the cache: an identical request from another user is answered from it.</summary>
    Global,
}

/// <summary>The exact-match response cache, bound from <c>Parley:Cache</c>.</summary>
public sealed class ResponseCacheOptions
{
    public const string SectionName = "Parley:Cache";
    public static readonly TimeSpan DefaultTtl = TimeSpan.FromHours(1);
    public const double DefaultMaxTemperature = 0.0;
    public const int DefaultMaxEntryBytes = 1024 * 1024;
    public const long DefaultMaxMemoryBytes = 64L * 1024 * 1024;
    public static readonly TimeSpan DefaultOperationTimeout = TimeSpan.FromMilliseconds(500);

    /// <summary>OpenAI's sampling temperature when a request names none.</summary>
    public const double UpstreamDefaultTemperature = 1.0;

    // Redis refuses values over 512 MB; a cached completion anywhere near that is a misconfiguration.
    public const int MaxSupportedEntryBytes = 256 * 1024 * 1024;

    public bool Enabled { get; set; } = true;

    /// <summary>How long a stored completion answers identical requests.</summary>
    public TimeSpan Ttl { get; set; } = DefaultTtl;

    /// <summary>A request is cacheable only if its temperature (1.0 when absent) is at most this: by default only an
    /// explicit temperature 0 is cached, since any other sampling is meant to vary.</summary>
    public double MaxTemperature { get; set; } = DefaultMaxTemperature;

    /// <summary>Larger responses are relayed but not stored.</summary>
    public int MaxEntryBytes { get; set; } = DefaultMaxEntryBytes;

    /// <summary>Bound on the in-memory store (embedded mode); least recently used entries are evicted beyond it.</summary>
    public long MaxMemoryBytes { get; set; } = DefaultMaxMemoryBytes;

    public ResponseCacheScope Scope { get; set; } = ResponseCacheScope.User;

    /// <summary>Bound on one lookup or store: a slow or unreachable Redis turns into a miss, never a stalled request.</summary>
    public TimeSpan OperationTimeout { get; set; } = DefaultOperationTimeout;
}

internal sealed class ResponseCacheOptionsValidator : IValidateOptions<ResponseCacheOptions>
{
    public ValidateOptionsResult Validate(string? name, ResponseCacheOptions options)
    {
        const string Section = ResponseCacheOptions.SectionName;
        var failures = new List<string>();
        if (options.Ttl <= TimeSpan.Zero)
        {
            failures.Add($"{Section}:Ttl must be positive.");
        }
        if (double.IsNaN(options.MaxTemperature) || options.MaxTemperature < 0)
        {
            failures.Add($"{Section}:MaxTemperature must be 0 or more.");
        }
        if (options.MaxEntryBytes < 1 || options.MaxEntryBytes > ResponseCacheOptions.MaxSupportedEntryBytes)
        {
            failures.Add($"{Section}:MaxEntryBytes must be between 1 and {ResponseCacheOptions.MaxSupportedEntryBytes}.");
        }
        if (options.MaxMemoryBytes < options.MaxEntryBytes)
        {
            failures.Add($"{Section}:MaxMemoryBytes must be at least MaxEntryBytes ({options.MaxEntryBytes}).");
        }
        if (!Enum.IsDefined(options.Scope))
        {
            failures.Add($"{Section}:Scope must be User or Global.");
        }
        if (options.OperationTimeout <= TimeSpan.Zero)
        {
            failures.Add($"{Section}:OperationTimeout must be positive.");
        }
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
