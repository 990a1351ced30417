namespace Parley.Silo.Routing;

/// <summary>How a call picks among the healthy deployments of one priority.</summary>
public enum RoutingStrategy
{
    /// <summary>Smooth weighted round robin: the split follows the weights exactly.</summary>
    Weighted,

    /// <summary>Power of two choices by weight, the deployment with the lower time to first byte (an EWMA, scaled by
    /// calls in flight) winning; a deployment not chosen for <see cref="RoutingOptions.ProbeInterval"/> is probed.</summary>
    LatencyAware,
}

/// <summary>Routing settings, bound from <c>Parley:Routing</c>.</summary>
public sealed class RoutingOptions
{
    public const double DefaultLatencySmoothing = 0.2;
    public static readonly TimeSpan DefaultProbeInterval = TimeSpan.FromSeconds(10);

    /// <summary>Rules that pick the model from the request, tried in order; the first that matches decides.</summary>
    public List<RoutingRuleOptions> Rules { get; set; } = [];

    /// <summary>Weight of the newest time-to-first-byte sample in a deployment's average (0–1).</summary>
    public double LatencySmoothing { get; set; } = DefaultLatencySmoothing;

    /// <summary>Latency-aware routing sends a call to a deployment that has not had one for this long, so a slow
    /// region's average keeps being measured.</summary>
    public TimeSpan ProbeInterval { get; set; } = DefaultProbeInterval;
}

/// <summary>One rule (<c>Parley:Routing:Rules:&lt;n&gt;</c>): a request for <see cref="Model"/> that meets every condition set
/// goes to <see cref="Target"/>. <see cref="Model"/> may be a name no model has (e.g. <c>auto</c>): it is then served by
/// rules alone, and its last rule must have no conditions.</summary>
public sealed class RoutingRuleOptions
{
    /// <summary>Shown in <c>x-parley-route</c>; defaults to the rule's position.</summary>
    public string? Name { get; set; }

    /// <summary>The model name the client asks for.</summary>
    public string Model { get; set; } = "";

    /// <summary>The public model the request goes to.</summary>
    public string Target { get; set; } = "";

    /// <summary>Matches prompts of at most this many tokens (as counted for the requested model).</summary>
    public int? MaxPromptTokens { get; set; }

    public int? MinPromptTokens { get; set; }

    /// <summary>true: only requests with tools; false: only requests without.</summary>
    public bool? HasTools { get; set; }

    /// <summary>true: only streamed requests; false: only non-streamed ones.</summary>
    public bool? Stream { get; set; }

    internal bool IsUnconditional => MaxPromptTokens is null && MinPromptTokens is null && HasTools is null && Stream is null;
}
