using Orleans.Services;

namespace Parley.GrainInterfaces.Routing;

/// <summary>One per silo (an Orleans grain service): what that silo's router knows of each deployment right now. Circuit
/// breakers, latency averages and calls in flight live in each silo's memory (they are what its routing decides by), so
/// the operators' console asks every active silo for its view.</summary>
[Alias("parley.IRoutingViewService")]
public interface IRoutingViewService : IGrainService
{
    Task<IReadOnlyList<DeploymentView>> GetDeploymentsAsync();
}

/// <summary>One deployment as one silo sees it.</summary>
/// <param name="Circuit">closed, open, half_open or isolated.</param>
/// <param name="OpenUntil">While open: until when routing skips it.</param>
/// <param name="LatencyMs">Smoothed time to first byte of successful attempts (0 until the first).</param>
/// <param name="InFlight">Calls being relayed through it by this silo.</param>
[GenerateSerializer, Immutable, Alias("parley.deployment-view")]
public sealed record DeploymentView(
    string Id,
    string Circuit,
    DateTimeOffset? OpenUntil,
    double LatencyMs,
    int InFlight);
