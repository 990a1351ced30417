using System.Net;
using Microsoft.Extensions.Options;

namespace Parley.Silo;

/// <summary>How a silo joins its Orleans cluster, bound from <c>Parley:Cluster</c>. Without Redis the silo is a
/// cluster of one on loopback (Orleans' localhost clustering); with Redis, silos sharing <see cref="ClusterId"/> find
/// each other through Orleans' Redis membership table.</summary>
public sealed class SiloClusterOptions
{
    public const string SectionName = "Parley:Cluster";

    public string ClusterId { get; set; } = "parley";

    /// <summary>Names the stored data: silos of any cluster with the same service id share grain state.</summary>
    public string ServiceId { get; set; } = "parley";

    /// <summary>The IP address other silos and the front end reach this silo at (in Kubernetes the pod IP, which
    /// Orleans' Kubernetes hosting sets). Empty: loopback when embedded, else the machine's first address.</summary>
    public string? AdvertisedAddress { get; set; }

    /// <summary>Silo-to-silo port.</summary>
    public int SiloPort { get; set; } = 11111;

    /// <summary>Port Orleans clients (the front end) connect to.</summary>
    public int GatewayPort { get; set; } = 30000;

    /// <summary>A second HTTP port beside each API address, serving the same API over cleartext HTTP/2 with prior
    /// knowledge, for a front end with <c>Parley:FrontEnd:SiloProtocol=Http2</c> (the API port keeps HTTP/1.1 for every
    /// other client: cleartext HTTP/2 cannot share a port with it). 0: none.</summary>
    public int FrontEndHttp2Port { get; set; }

    /// <summary>How long one liveness probe may go unanswered. With <see cref="NumMissedProbesLimit"/> it bounds how
    /// soon a killed silo is declared dead and its grains activate elsewhere (1 s × 2: about 2 s).</summary>
    public TimeSpan ProbeTimeout { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Missed probes after which a silo suspects another.</summary>
    public int NumMissedProbesLimit { get; set; } = 2;

    /// <summary>How often each silo re-reads the membership table (it also learns changes by gossip at once).</summary>
    public TimeSpan TableRefreshTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Bound on one grain call: a call to a silo that died without a word fails after this, and is retried or
    /// answered 503, never left hanging.</summary>
    public TimeSpan GrainCallTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How long a grain call that is safe to repeat keeps being retried while the cluster changes (a killed
    /// silo's grains are served again within about 2 s); past it the request is answered 503 with Retry-After.</summary>
    public TimeSpan TransientRetryBudget { get; set; } = TimeSpan.FromSeconds(6);

    /// <summary>Run under Kubernetes: Orleans' Kubernetes hosting takes the pod's name, IP and the cluster and service ids
    /// from the pod (POD_NAME, POD_NAMESPACE, POD_IP and the pod's orleans/* labels).</summary>
    public bool Kubernetes { get; set; }

    internal IPAddress? ParseAdvertisedAddress() => IPAddress.TryParse(AdvertisedAddress, out var address) ? address : null;
}

internal sealed class SiloClusterOptionsValidator : IValidateOptions<SiloClusterOptions>
{
    public ValidateOptionsResult Validate(string? name, SiloClusterOptions options)
    {
        const string Section = SiloClusterOptions.SectionName;
        var failures = new List<string>();
        if (string.IsNullOrWhiteSpace(options.ClusterId) || string.IsNullOrWhiteSpace(options.ServiceId))
        {
            failures.Add($"{Section}:ClusterId and {Section}:ServiceId must not be empty.");
        }
        if (!string.IsNullOrWhiteSpace(options.AdvertisedAddress) && options.ParseAdvertisedAddress() is null)
        {
            failures.Add($"{Section}:AdvertisedAddress must be an IP address (got '{options.AdvertisedAddress}').");
        }
        if (options.SiloPort is < 1 or > 65535 || options.GatewayPort is < 1 or > 65535 || options.SiloPort == options.GatewayPort)
        {
            failures.Add($"{Section}:SiloPort and {Section}:GatewayPort must be two different ports (1-65535).");
        }
        if (options.FrontEndHttp2Port is < 0 or > 65535 || options.FrontEndHttp2Port == options.SiloPort || options.FrontEndHttp2Port == options.GatewayPort)
        {
            failures.Add($"{Section}:FrontEndHttp2Port must be 0 (none) or a port (1-65535) other than SiloPort and GatewayPort.");
        }
        if (options.ProbeTimeout < TimeSpan.FromMilliseconds(100) || options.TableRefreshTimeout < TimeSpan.FromMilliseconds(100))
        {
            failures.Add($"{Section}:ProbeTimeout and {Section}:TableRefreshTimeout must be at least 100 ms.");
        }
        if (options.NumMissedProbesLimit < 1)
        {
            failures.Add($"{Section}:NumMissedProbesLimit must be at least 1.");
        }
        if (options.GrainCallTimeout < TimeSpan.FromMilliseconds(100))
        {
            failures.Add($"{Section}:GrainCallTimeout must be at least 100 ms.");
        }
        if (options.TransientRetryBudget < TimeSpan.Zero || options.TransientRetryBudget > TimeSpan.FromMinutes(1))
        {
            failures.Add($"{Section}:TransientRetryBudget must be between 0 and 1 minute.");
        }
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
