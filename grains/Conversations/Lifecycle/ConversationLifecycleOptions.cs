using Microsoft.Extensions.Options;

namespace Parley.Grains.Conversations.Lifecycle;

/// <summary>Parley:Conversations:Lifecycle: how long a conversation stays in the hot grain storage after its last use,
/// how long it then stays archived, and how the background sweeper that moves it works.</summary>
public sealed class ConversationLifecycleOptions
{
    public const string SectionName = "Parley:Conversations:Lifecycle";

    public static readonly TimeSpan DefaultHotRetention = TimeSpan.FromDays(7);
    public static readonly TimeSpan DefaultArchiveRetention = TimeSpan.FromDays(30);
    public static readonly TimeSpan DefaultSweepInterval = TimeSpan.FromHours(1);
    public const int DefaultSweepBatchSize = 500;

    /// <summary>As long as the interval: the silo holding it renews it on its next sweep, and if that silo dies another
    /// one takes over at most one interval later.</summary>
    public static readonly TimeSpan DefaultSweepLease = DefaultSweepInterval;

    /// <summary>Time after the last use before a conversation is moved to the archive.</summary>
    public TimeSpan HotRetention { get; set; } = DefaultHotRetention;

    /// <summary>Time an archived conversation is kept (restorable on its next use) before it is deleted for good.</summary>
    public TimeSpan ArchiveRetention { get; set; } = DefaultArchiveRetention;

    /// <summary>How often each silo tries to sweep (only the holder of the cluster-wide lease does).</summary>
    public TimeSpan SweepInterval { get; set; } = DefaultSweepInterval;

    /// <summary>Idle conversations read from the activity index per round trip.</summary>
    public int SweepBatchSize { get; set; } = DefaultSweepBatchSize;

    /// <summary>How long a silo holds the sweep lease once taken.</summary>
    public TimeSpan SweepLease { get; set; } = DefaultSweepLease;
}

/// <summary>Rejects values that are zero or negative, and values so large they are surely a unit mistake.</summary>
public sealed class ConversationLifecycleOptionsValidator : IValidateOptions<ConversationLifecycleOptions>
{
    /// <summary>Ten years: retention beyond that is not a lifecycle any more.</summary>
    public static readonly TimeSpan MaxRetention = TimeSpan.FromDays(3650);
    public static readonly TimeSpan MinSweepInterval = TimeSpan.FromSeconds(1);
    public static readonly TimeSpan MaxSweepInterval = TimeSpan.FromDays(1);
    public static readonly TimeSpan MaxSweepLease = TimeSpan.FromDays(1);
    public const int MaxSweepBatchSize = 100_000;

    public ValidateOptionsResult Validate(string? name, ConversationLifecycleOptions options)
    {
        var failures = new List<string>();
        Check(failures, nameof(options.HotRetention), options.HotRetention, TimeSpan.Zero, MaxRetention);
        Check(failures, nameof(options.ArchiveRetention), options.ArchiveRetention, TimeSpan.Zero, MaxRetention);
        Check(failures, nameof(options.SweepLease), options.SweepLease, TimeSpan.Zero, MaxSweepLease);
        if (options.SweepInterval < MinSweepInterval || options.SweepInterval > MaxSweepInterval)
        {
            failures.Add($"{ConversationLifecycleOptions.SectionName}:{nameof(options.SweepInterval)} must be between {MinSweepInterval} and {MaxSweepInterval}.");
        }
        if (options.SweepBatchSize is < 1 or > MaxSweepBatchSize)
        {
            failures.Add($"{ConversationLifecycleOptions.SectionName}:{nameof(options.SweepBatchSize)} must be between 1 and {MaxSweepBatchSize}.");
        }
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static void Check(List<string> failures, string name, TimeSpan value, TimeSpan exclusiveMin, TimeSpan max)
    {
        if (value <= exclusiveMin || value > max)
        {
            failures.Add($"{ConversationLifecycleOptions.SectionName}:{name} must be above {exclusiveMin} and at most {max}.");
        }
    }
}
