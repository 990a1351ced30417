using Microsoft.Extensions.Options;

namespace Parley.Silo.Audit;

public enum AuditStoreKind
{
    /// <summary>An SQLite file under <see cref="AuditOptions.Directory"/> (the embedded default).</summary>
    Sqlite,

    /// <summary>PostgreSQL at <see cref="AuditOptions.PostgresConnectionString"/> (a cluster: every silo writes there).</summary>
    Postgres,
}

/// <summary><c>Parley:Audit</c>: where the audit trail is written, how it is batched, spooled and kept.</summary>
public sealed class AuditOptions
{
    public const string SectionName = "Parley:Audit";

    /// <summary>Sqlite or Postgres. Unset: Postgres when a connection string is configured, else Sqlite.</summary>
    public AuditStoreKind? Store { get; set; }

    /// <summary>The audit directory: the SQLite file (<c>audit.db</c>) and the spool. Default: the user's data
    /// directory (<c>$XDG_DATA_HOME</c> or <c>~/.local/share</c>) + <c>/parley/audit</c>.</summary>
    public string? Directory { get; set; }

    /// <summary>Npgsql connection string (from a secret: <c>Parley__Audit__PostgresConnectionString</c>).</summary>
    public string? PostgresConnectionString { get; set; }

    /// <summary>Records the in-memory queue holds; beyond it records spill to the spool file.</summary>
    public int QueueCapacity { get; set; } = 10_000;

    /// <summary>Most records written to the store in one batch (one transaction, one COPY).</summary>
    public int BatchSize { get; set; } = 1_000;

    /// <summary>How long a batch gathers after its first record before it is written (sooner when a whole batch is
    /// queued or the silo stops). Records reach the store this much later; in exchange the writer wakes once per batch
    /// instead of once per request, which at moderate rates costs every request a thread wake-up. 0: write at once.</summary>
    public TimeSpan FlushDelay { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>After a write failed, batches go to the spool without asking the store for this long.</summary>
    public TimeSpan RetryInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Records older than this many days are deleted (0: kept for ever). The chain stays verifiable: the hash at
    /// the cut is kept as its checkpoint.</summary>
    public int RetentionDays { get; set; } = 90;

    /// <summary>How often retention runs.</summary>
    public TimeSpan RetentionInterval { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Characters of the masked prompt excerpt (0: none recorded).</summary>
    public int ExcerptChars { get; set; } = 200;

    public AuditStoreKind EffectiveStore => Store ?? (string.IsNullOrWhiteSpace(PostgresConnectionString) ? AuditStoreKind.Sqlite : AuditStoreKind.Postgres);

    public string EffectiveDirectory => string.IsNullOrWhiteSpace(Directory)
        ? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData, Environment.SpecialFolderOption.DoNotVerify), "parley", "audit")
        : Directory;
}

internal sealed class AuditOptionsValidator : IValidateOptions<AuditOptions>
{
    public ValidateOptionsResult Validate(string? name, AuditOptions options)
    {
        const string Section = AuditOptions.SectionName;
        var failures = new List<string>();
        if (options.EffectiveStore == AuditStoreKind.Postgres && string.IsNullOrWhiteSpace(options.PostgresConnectionString))
        {
            failures.Add($"{Section}:Store is Postgres but {Section}:PostgresConnectionString is not set.");
        }
        if (options.QueueCapacity is < 1 or > 10_000_000)
        {
            failures.Add($"{Section}:QueueCapacity must be between 1 and 10000000.");
        }
        if (options.BatchSize is < 1 or > 100_000)
        {
            failures.Add($"{Section}:BatchSize must be between 1 and 100000.");
        }
        if (options.FlushDelay < TimeSpan.Zero || options.FlushDelay > TimeSpan.FromSeconds(10))
        {
            failures.Add($"{Section}:FlushDelay must be between 00:00:00 and 00:00:10.");
        }
        if (options.RetryInterval <= TimeSpan.Zero)
        {
            failures.Add($"{Section}:RetryInterval must be positive.");
        }
        if (options.RetentionDays < 0)
        {
            failures.Add($"{Section}:RetentionDays must not be negative (0 keeps records for ever).");
        }
        if (options.RetentionInterval <= TimeSpan.Zero)
        {
            failures.Add($"{Section}:RetentionInterval must be positive.");
        }
        if (options.ExcerptChars is < 0 or > 2_000)
        {
            failures.Add($"{Section}:ExcerptChars must be between 0 and 2000.");
        }
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
