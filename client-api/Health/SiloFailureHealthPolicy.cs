using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Parley.ClientApi.Hosting;
using Yarp.ReverseProxy.Forwarder;
using Yarp.ReverseProxy.Health;
using Yarp.ReverseProxy.Model;

namespace Parley.ClientApi.Health;

/// <summary>Passive health: a silo that fails a forwarded request on the silo's side (refused or reset connection,
/// connect timeout, a stream it broke off) leaves the rotation for <see cref="FrontEndOptions.ReactivationPeriod"/>,
/// so the next requests do not try it first. Failures caused by the client (it went away, sent a broken body) say
/// nothing about the silo and are ignored.</summary>
internal sealed class SiloFailureHealthPolicy(
    IDestinationHealthUpdater healthUpdater,
    IOptions<FrontEndOptions> options,
    ILogger<SiloFailureHealthPolicy> logger) : IPassiveHealthCheckPolicy
{
    public const string PolicyName = "ParleySiloFailure";
    private readonly TimeSpan _reactivationPeriod = options.Value.ReactivationPeriod;

    public string Name => PolicyName;

    public void RequestProxied(HttpContext context, ClusterState cluster, DestinationState destination)
    {
        var error = context.Features.Get<IForwarderErrorFeature>();
        if (error is null || !IsSiloFailure(error.Error))
        {
            return;
        }
        if (destination.Health.Passive != DestinationHealth.Unhealthy)
        {
            HealthLog.SiloMarkedUnhealthy(logger, destination.DestinationId, error.Error, _reactivationPeriod);
        }
        healthUpdater.SetPassive(cluster, destination, DestinationHealth.Unhealthy, _reactivationPeriod);
    }

    public static bool IsSiloFailure(ForwarderError error) => error is ForwarderError.Request
        or ForwarderError.RequestTimedOut
        or ForwarderError.RequestBodyDestination
        or ForwarderError.ResponseHeaders
        or ForwarderError.ResponseBodyDestination;
}
