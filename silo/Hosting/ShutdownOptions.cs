using Microsoft.Extensions.Options;

namespace Parley.Silo;

/// <summary>Graceful shutdown, bound from <c>Parley:Shutdown</c>: readiness fails first, the silo keeps serving for
/// <see cref="DrainDelay"/> so the front end and Kubernetes stop sending, then in-flight requests and streams get
/// <see cref="GracePeriod"/> to finish, then Orleans deactivates the grains and leaves the cluster.</summary>
public sealed class ShutdownOptions
{
    public const string SectionName = "Parley:Shutdown";
    public static readonly TimeSpan DefaultDrainDelay = TimeSpan.FromSeconds(3);
    public static readonly TimeSpan DefaultGracePeriod = TimeSpan.FromSeconds(30);

    /// <summary>Orleans' own stop after the drain: deactivating grains, persisting, leaving membership.</summary>
    public static readonly TimeSpan OrleansStopBudget = TimeSpan.FromSeconds(15);

    /// <summary>How long a stopping silo keeps accepting requests after its readiness fails: longer than the front end's
    /// health-check interval (1 s) plus one probe, so no request is sent to a silo that no longer listens.</summary>
    public TimeSpan DrainDelay { get; set; } = DefaultDrainDelay;

    /// <summary>How long in-flight requests (long streams included) may still run once the silo stops accepting new ones.</summary>
    public TimeSpan GracePeriod { get; set; } = DefaultGracePeriod;

    /// <summary>The host's stop budget (its <c>ShutdownTimeout</c>): the drain, the grace period, then Orleans' stop. A
    /// supervisor must wait longer than this between SIGTERM and SIGKILL (Kubernetes' terminationGracePeriodSeconds,
    /// systemd's TimeoutStopSec, compose's stop_grace_period).</summary>
    public TimeSpan ShutdownTimeout => DrainDelay + GracePeriod + OrleansStopBudget;
}

internal sealed class ShutdownOptionsValidator : IValidateOptions<ShutdownOptions>
{
    public ValidateOptionsResult Validate(string? name, ShutdownOptions options)
        => options.GracePeriod >= TimeSpan.Zero && options.DrainDelay >= TimeSpan.Zero && options.DrainDelay <= TimeSpan.FromMinutes(5)
            ? ValidateOptionsResult.Success
            : ValidateOptionsResult.Fail($"{ShutdownOptions.SectionName}: GracePeriod must not be negative and DrainDelay must be between 0 and 5 minutes.");
}
