using Microsoft.AspNetCore.Builder;

namespace Parley.Silo;

public static class ClusterHostingExtensions
{
    /// <summary>Grain runtime, storage and membership: Redis when Parley:Redis:ConnectionString is set, else in-memory.</summary>
    public static WebApplicationBuilder AddParleyCluster(this WebApplicationBuilder builder) => builder; // TODO(silo-core helper)
}
