using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;

namespace Parley.Silo.Health;

public static class HealthExtensions
{
    public static WebApplicationBuilder AddParleyHealth(this WebApplicationBuilder builder) => builder; // TODO(silo-core helper)
    public static IEndpointRouteBuilder MapHealth(this IEndpointRouteBuilder app) => app; // TODO(silo-core helper)
}
