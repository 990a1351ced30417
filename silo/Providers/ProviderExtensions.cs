using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Parley.Grains.UpstreamKeys;

namespace Parley.Silo.Providers;

public static class ProviderExtensions
{
    /// <summary>Upstream providers, public models and routing rules from configuration, plus the embedded simulator when
    /// <c>Parley:Simulator:Enabled</c> is true. A model naming an unknown provider stops the silo at start.</summary>
    public static WebApplicationBuilder AddParleyProviders(this WebApplicationBuilder builder)
    {
        var configuration = builder.Configuration;
        var services = builder.Services;
        var simulatorEnabled = configuration.GetValue<bool>(EmbeddedSimulator.EnabledKey);
        services.AddOptions<UpstreamCatalogOptions>()
            .Configure(options =>
            {
                configuration.GetSection(UpstreamCatalogOptions.ProvidersSection).Bind(options.Providers);
                configuration.GetSection(UpstreamCatalogOptions.ModelsSection).Bind(options.Models);
                configuration.GetSection(UpstreamCatalogOptions.RoutingSection).Bind(options.Routing);
                if (simulatorEnabled)
                {
                    EmbeddedSimulator.AddTo(options);
                }
            })
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<UpstreamCatalogOptions>, UpstreamCatalogOptionsValidator>();
        if (simulatorEnabled)
        {
            // Registered before the web server's own hosted service, so the simulator listens before the silo serves.
            services.AddSingleton<EmbeddedSimulatorHost>();
            services.AddHostedService(static sp => sp.GetRequiredService<EmbeddedSimulatorHost>());
        }
        // Before AddUpstreamKeys, whose defaults only fill what is not registered.
        services.AddSingleton<IUpstreamKeyPolicies, UpstreamKeyPolicies>();
        services.AddUpstreamKeys();
        services.AddSingleton<Routing.RoutingMetrics>();
        services.AddSingleton<ModelCatalog>();
        services.AddHostedService<UpstreamKeyLessonWatch>();
        services.AddSingleton<Routing.UpstreamRouter>();
        return builder;
    }
}
