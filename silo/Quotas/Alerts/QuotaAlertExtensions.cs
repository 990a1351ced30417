using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Parley.Silo.Quotas.Alerts;

public static class QuotaAlertExtensions
{
    /// <summary>Budget alerts (<c>Parley:Quotas:Alerts</c>): <see cref="QuotaAlertDispatcher"/> as a singleton that is
    /// also the hosted service delivering its webhooks.</summary>
    public static WebApplicationBuilder AddQuotaAlerts(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<QuotaAlertOptions>()
            .Bind(builder.Configuration.GetSection(QuotaAlertOptions.SectionName))
            .ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<QuotaAlertOptions>, QuotaAlertOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<QuotaAlertDispatcher>();
        services.AddHostedService(static sp => sp.GetRequiredService<QuotaAlertDispatcher>());
        return builder;
    }
}
