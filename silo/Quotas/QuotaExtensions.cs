using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Parley.GrainInterfaces.Quotas;
using Parley.Grains.Quotas;
using Parley.Grains.Quotas.Ledger;
using Parley.Silo.Quotas.Alerts;

namespace Parley.Silo.Quotas;

public static class QuotaExtensions
{
    /// <summary>Quotas: options (Parley:Quotas), the ledger (Redis when configured, else memory), the
    /// admission gate, alerts.</summary>
    public static WebApplicationBuilder AddParleyQuotas(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<QuotaOptions>().Bind(builder.Configuration.GetSection(QuotaOptions.SectionName)).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<QuotaOptions>, QuotaOptionsValidator>());
        services.AddQuotaLedger();
        services.AddSingleton<QuotaStatus>();
        services.AddSingleton<QuotaSettingsCache>();
        services.AddSingleton<UnansweredAdmissions>();
        services.AddSingleton<QuotaGate>();
        services.AddSingleton<QuotaUsageReader>();
        builder.AddQuotaAlerts();
        return builder;
    }

    public static RouteGroupBuilder MapQuotas(this RouteGroupBuilder v1) => QuotaEndpoints.MapPublic(v1);

    public static RouteGroupBuilder MapQuotaAdmin(this RouteGroupBuilder admin) => QuotaEndpoints.MapAdmin(admin);
}
