using Microsoft.Extensions.Options;

namespace Parley.Grains.Batches;

/// <summary>The Batch API's limits and pace, bound from <c>Parley:Batch</c>.</summary>
public sealed class BatchOptions
{
    public const string SectionName = "Parley:Batch";

    /// <summary>The largest file <c>POST /v1/files</c> accepts (413 above it). Files live in Redis in a cluster, so this
    /// bounds what one upload costs Redis' memory.</summary>
    public long MaxFileBytes { get; set; } = 50L * 1024 * 1024;

    /// <summary>The most request lines one batch input file may hold (OpenAI's limit).</summary>
    public int MaxLines { get; set; } = 50_000;

    /// <summary>Lines one batch starts per second at most (every batch on its own; the user's quotas and the upstream
    /// keys' pacing apply on top, as for any chat completion).</summary>
    public double RequestsPerSecond { get; set; } = 10;

    /// <summary>Lines of one batch in flight at once.</summary>
    public int MaxConcurrency { get; set; } = 4;

    /// <summary>How often a batch's reminder wakes it (on any silo) while it runs; it only matters after the silo that
    /// ran the batch died and no client asked about it meanwhile. Orleans' own floor is 1 minute; a smaller value is
    /// for tests (Orleans then logs a warning).</summary>
    public TimeSpan ReminderPeriod { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>How long a line refused before reaching the upstream (quota or pacing 429, no deployment available) waits
    /// before it is tried again when the refusal named no Retry-After.</summary>
    public TimeSpan RetryDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>The only completion window OpenAI's Batch API offers.</summary>
    public static TimeSpan CompletionWindow { get; } = TimeSpan.FromHours(24);

    public const string CompletionWindowName = "24h";

    /// <summary>The one endpoint batches run against.</summary>
    public const string ChatCompletionsEndpoint = "/v1/chat/completions";
}

public sealed class BatchOptionsValidator : IValidateOptions<BatchOptions>
{
    public ValidateOptionsResult Validate(string? name, BatchOptions options)
    {
        const string Section = BatchOptions.SectionName;
        var failures = new List<string>();
        if (options.MaxFileBytes is < 1024 or > 512L * 1024 * 1024)
        {
            failures.Add($"{Section}:MaxFileBytes must be between 1 KiB and 512 MiB.");
        }
        if (options.MaxLines is < 1 or > 1_000_000)
        {
            failures.Add($"{Section}:MaxLines must be between 1 and 1,000,000.");
        }
        if (!(options.RequestsPerSecond is > 0 and <= 10_000))
        {
            failures.Add($"{Section}:RequestsPerSecond must be above 0 and at most 10,000.");
        }
        if (options.MaxConcurrency is < 1 or > 1_000)
        {
            failures.Add($"{Section}:MaxConcurrency must be between 1 and 1,000.");
        }
        if (options.ReminderPeriod < TimeSpan.FromSeconds(1))
        {
            failures.Add($"{Section}:ReminderPeriod must be at least 1 second.");
        }
        if (options.RetryDelay < TimeSpan.FromMilliseconds(10) || options.RetryDelay > TimeSpan.FromHours(1))
        {
            failures.Add($"{Section}:RetryDelay must be between 10 ms and 1 hour.");
        }
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
