using Microsoft.Extensions.Options;
using Parley.ClientApi.Hosting;

namespace Parley.ClientApi.Routing;

/// <summary>A fixed list of silos from <c>Parley:FrontEnd:Silos</c>, for setups without Redis membership. A silo
/// that is down stays in the list; requests it refuses fall through to the next silo in the ranking.</summary>
public sealed class StaticSiloDirectory(IOptions<FrontEndOptions> options) : ISiloDirectory
{
    public SiloSet Current { get; } = new(options.Value.Silos);
}
