using Microsoft.AspNetCore.Builder;

namespace Parley.Silo.Providers;

public static class ProviderExtensions
{
    public static WebApplicationBuilder AddParleyProviders(this WebApplicationBuilder builder) => builder; // TODO(silo-core helper)
}
