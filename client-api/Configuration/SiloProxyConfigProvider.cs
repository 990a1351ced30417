using Microsoft.Extensions.Options;
using Parley.ClientApi.Hosting;
using Yarp.ReverseProxy.Configuration;

namespace Parley.ClientApi.Configuration;

/// <summary>YARP's configuration source: the silo cluster with the current silos. With a fixed list
/// (<c>Parley:FrontEnd:Silos</c>) it never changes; with an Orleans cluster the membership watcher calls
/// <see cref="Update"/>, which replaces the configuration only when the set of silos changed, so YARP keeps its
/// destinations (and their health) while membership is steady.</summary>
internal sealed class SiloProxyConfigProvider : IProxyConfigProvider
{
    private readonly FrontEndOptions _options;
    private readonly RouteConfig _route = SiloClusterConfig.Route();
    private readonly Lock _lock = new();
    private SiloProxyConfig _config;

    public SiloProxyConfigProvider(IOptions<FrontEndOptions> options)
    {
        _options = options.Value;
        var initial = _options.UsesMembership ? [] : Normalize(_options.Silos);
        _config = Build(initial);
    }

    /// <summary>The silos' base URLs as YARP currently has them, sorted.</summary>
    public IReadOnlyList<string> Silos => Volatile.Read(ref _config).Silos;

    public IProxyConfig GetConfig() => Volatile.Read(ref _config);

    /// <summary>Sets the silos (base URLs, any order, duplicates allowed); true when that changed the set.</summary>
    public bool Update(IEnumerable<string> silos)
    {
        var next = Normalize(silos);
        lock (_lock)
        {
            var current = _config;
            if (current.Silos.SequenceEqual(next, StringComparer.Ordinal))
            {
                return false;
            }
            var config = Build(next);
            Volatile.Write(ref _config, config);
            current.SignalChange();
            return true;
        }
    }

    private SiloProxyConfig Build(string[] silos) => new(_route, SiloClusterConfig.Cluster(_options, silos), silos);

    private static string[] Normalize(IEnumerable<string> silos)
    {
        var set = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var silo in silos)
        {
            set.Add(silo.TrimEnd('/'));
        }
        return [.. set];
    }
}
