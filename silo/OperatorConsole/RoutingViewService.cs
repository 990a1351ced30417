using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Runtime.Services;
using Parley.GrainInterfaces.Routing;
using Parley.Silo.Providers;
using Parley.Silo.Routing;

namespace Parley.Silo.OperatorConsole;

/// <summary>This silo's end of <see cref="IRoutingViewService"/>: its router's view of every deployment.</summary>
internal sealed class RoutingViewService(GrainId id, Orleans.Runtime.Silo silo, ILoggerFactory loggerFactory, ModelCatalog catalog, TimeProvider time)
    : GrainService(id, silo, loggerFactory), IRoutingViewService
{
    public Task<IReadOnlyList<DeploymentView>> GetDeploymentsAsync() => Task.FromResult(Describe(catalog, time));

    public static IReadOnlyList<DeploymentView> Describe(ModelCatalog catalog, TimeProvider time)
        => [.. RoutingAdminEndpoints.Describe(catalog, time.GetUtcNow()).Data.Select(d => new DeploymentView(d.Id, d.Circuit, d.OpenUntil, d.LatencyMs, d.InFlight))];
}

/// <summary>Every active silo's view of the deployments, asked at once, each within a timeout; this silo's own is read
/// directly. A silo that does not answer in time is reported with an error, not left out silently.</summary>
internal sealed class ClusterRoutingViews(
    IServiceProvider services,
    ModelCatalog catalog,
    TimeProvider time,
    ILocalSiloDetails localSilo,
    IClusterMembershipService membership,
    IOptions<ConsoleOptions> options)
    : GrainServiceClient<IRoutingViewService>(services)
{
    public const string NoAnswer = "This silo did not answer in time.";

    public async Task<IReadOnlyList<SiloDeployments>> ReadAsync(CancellationToken cancellationToken)
    {
        var timeout = options.Value.SiloTimeout;
        var reads = new List<Task<SiloDeployments>>();
        foreach (var member in membership.CurrentSnapshot.Members.Values.OrderBy(m => m.SiloAddress.ToString(), StringComparer.Ordinal))
        {
            if (member.Status != SiloStatus.Active)
            {
                continue;
            }
            var address = member.SiloAddress;
            if (address.Equals(localSilo.SiloAddress))
            {
                reads.Add(Task.FromResult(new SiloDeployments(address.ToString(), true, RoutingViewService.Describe(catalog, time), null)));
                continue;
            }
            reads.Add(ReadRemoteAsync(address, timeout, cancellationToken));
        }
        return await Task.WhenAll(reads);
    }

    private async Task<SiloDeployments> ReadRemoteAsync(SiloAddress silo, TimeSpan timeout, CancellationToken cancellationToken)
    {
        try
        {
            var view = await GetGrainService(silo).GetDeploymentsAsync().WaitAsync(timeout, cancellationToken);
            return new SiloDeployments(silo.ToString(), false, view, null);
        }
        catch (Exception e) when (e is TimeoutException or OrleansException)
        {
            return new SiloDeployments(silo.ToString(), false, null, NoAnswer);
        }
    }
}
