using Microsoft.Extensions.Primitives;
using Yarp.ReverseProxy.Configuration;

namespace Parley.ClientApi.Configuration;

/// <summary>One immutable YARP configuration: the catch-all route and the silo cluster with the destinations of the
/// moment. Replaced (and its change token fired) whenever the set of silos changes.</summary>
internal sealed class SiloProxyConfig : IProxyConfig
{
    private readonly CancellationTokenSource _changed = new();

    public SiloProxyConfig(RouteConfig route, ClusterConfig cluster, IReadOnlyList<string> silos)
    {
        Routes = [route];
        Clusters = [cluster];
        Silos = silos;
        ChangeToken = new CancellationChangeToken(_changed.Token);
    }

    /// <summary>The silos' base URLs, sorted, without duplicates.</summary>
    public IReadOnlyList<string> Silos { get; }

    public IReadOnlyList<RouteConfig> Routes { get; }

    public IReadOnlyList<ClusterConfig> Clusters { get; }

    public IChangeToken ChangeToken { get; }

    public string RevisionId { get; } = Guid.NewGuid().ToString("N");

    // The source is not disposed: YARP may still register on a replaced config's token, which then fires at once.
    public void SignalChange() => _changed.Cancel();
}
