using Microsoft.Extensions.Options;

namespace Parley.Silo.Dashboard;

/// <summary>Parley:Dashboard: the Orleans Dashboard at <c>/dashboard</c> on every silo, for admins only. The same
/// section also holds the admin sign-in's settings (<see cref="Auth.Sessions.AdminSessionOptions"/>).</summary>
public sealed class SiloDashboardOptions
{
    public const string SectionName = "Parley:Dashboard";
    public const string Path = "/dashboard";
    public static readonly TimeSpan DefaultCounterUpdateInterval = TimeSpan.FromSeconds(1);

    /// <summary>Off: no dashboard, no sign-in page, and the Orleans Dashboard's collectors are not added to the silo.
    /// Set it alike on every silo: a silo without it is missing from the dashboard's statistics.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>How often the dashboard samples the silos' counters (the Orleans Dashboard's minimum is 1 s).</summary>
    public TimeSpan CounterUpdateInterval { get; set; } = DefaultCounterUpdateInterval;

    /// <summary>The dashboard's live log stream (<c>/dashboard/Trace</c>). Off by default: logs carry user, key and
    /// conversation ids that an operator's browser need not receive.</summary>
    public bool LogStream { get; set; }
}

internal sealed class SiloDashboardOptionsValidator : IValidateOptions<SiloDashboardOptions>
{
    public ValidateOptionsResult Validate(string? name, SiloDashboardOptions options)
        => options.CounterUpdateInterval >= TimeSpan.FromSeconds(1) && options.CounterUpdateInterval <= TimeSpan.FromMinutes(10)
            ? ValidateOptionsResult.Success
            : ValidateOptionsResult.Fail($"{SiloDashboardOptions.SectionName}:CounterUpdateInterval must be between 1 second and 10 minutes.");
}
