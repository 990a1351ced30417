namespace Parley.ClientApi.Health;

/// <summary>The front end's current view of the silos it forwards to, for readiness and for tests that wait until the
/// front end sees the cluster (e.g. three healthy silos) before they start.</summary>
public interface ISiloView
{
    /// <summary>The silos requests are forwarded to, ordered by address.</summary>
    IReadOnlyList<SiloState> Silos { get; }
}

/// <param name="Address">The silo's base URL, e.g. <c>http://10.0.0.5:8080</c>.</param>
/// <param name="Probe">The last active probe of its readiness (<see cref="SiloHealth.Unknown"/> until the first).</param>
/// <param name="Failures">Unhealthy while the silo is benched after failing a forwarded request.</param>
public readonly record struct SiloState(string Address, SiloHealth Probe, SiloHealth Failures)
{
    /// <summary>Probed ready and not benched.</summary>
    public bool IsHealthy => Probe == SiloHealth.Healthy && Failures != SiloHealth.Unhealthy;

    /// <summary>New requests may go to it: nothing says it is unhealthy (a silo not yet probed is in rotation).</summary>
    public bool IsInRotation => Probe != SiloHealth.Unhealthy && Failures != SiloHealth.Unhealthy;
}

public enum SiloHealth
{
    Unknown,
    Healthy,
    Unhealthy,
}
