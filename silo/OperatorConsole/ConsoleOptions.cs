using Microsoft.Extensions.Options;

namespace Parley.Silo.OperatorConsole;

/// <summary>Parley:Console: Parley's own operators' console at <c>/console</c> on every silo, for admins only (it signs
/// in through the same admin sessions as the Orleans Dashboard, whose settings live in Parley:Dashboard).</summary>
public sealed class ConsoleOptions
{
    public const string SectionName = "Parley:Console";
    public const string Path = "/console";
    public static readonly TimeSpan DefaultRefreshInterval = TimeSpan.FromSeconds(2);
    public const int DefaultMaxUsers = 200;
    public const int DefaultRecentConversations = 25;
    public static readonly TimeSpan DefaultSiloTimeout = TimeSpan.FromSeconds(2);

    /// <summary>Off: no <c>/console</c> routes (the sign-in page stays while the dashboard is on).</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>How often the open page asks for a new snapshot.</summary>
    public TimeSpan RefreshInterval { get; set; } = DefaultRefreshInterval;

    /// <summary>Most users a snapshot reads usage for (one Redis round trip each); the page says when there are more.</summary>
    public int MaxUsers { get; set; } = DefaultMaxUsers;

    /// <summary>How many of the most recently used conversations a snapshot lists.</summary>
    public int RecentConversations { get; set; } = DefaultRecentConversations;

    /// <summary>How long a snapshot waits for another silo's view of the deployments (a silo past it is shown as not
    /// answering).</summary>
    public TimeSpan SiloTimeout { get; set; } = DefaultSiloTimeout;
}

internal sealed class ConsoleOptionsValidator : IValidateOptions<ConsoleOptions>
{
    public ValidateOptionsResult Validate(string? name, ConsoleOptions options)
    {
        var failures = new List<string>();
        if (options.RefreshInterval < TimeSpan.FromMilliseconds(250) || options.RefreshInterval > TimeSpan.FromMinutes(5))
        {
            failures.Add($"{ConsoleOptions.SectionName}:RefreshInterval must be between 250 ms and 5 minutes.");
        }
        if (options.SiloTimeout < TimeSpan.FromMilliseconds(100) || options.SiloTimeout > TimeSpan.FromSeconds(30))
        {
            failures.Add($"{ConsoleOptions.SectionName}:SiloTimeout must be between 100 ms and 30 seconds.");
        }
        if (options.MaxUsers is < 1 or > 10_000)
        {
            failures.Add($"{ConsoleOptions.SectionName}:MaxUsers must be between 1 and 10000.");
        }
        if (options.RecentConversations is < 1 or > 500)
        {
            failures.Add($"{ConsoleOptions.SectionName}:RecentConversations must be between 1 and 500.");
        }
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
