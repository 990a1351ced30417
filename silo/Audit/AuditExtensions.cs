using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Parley.Silo.Audit.Stores;

namespace Parley.Silo.Audit;

public static class AuditExtensions
{
    /// <summary>The audit trail: the sink requests write to, the writer that drains it into the configured store
    /// (<c>Parley:Audit</c>), the spool, metrics and the masked-excerpt maker.</summary>
    public static WebApplicationBuilder AddParleyAudit(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<AuditOptions>().BindConfiguration(AuditOptions.SectionName).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<AuditOptions>, AuditOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<AuditMetrics>();
        services.TryAddSingleton(static sp => new AuditExcerpt(sp.GetRequiredService<IOptions<AuditOptions>>().Value.ExcerptChars));
        services.TryAddSingleton<IAuditStore>(static sp =>
        {
            var options = sp.GetRequiredService<IOptions<AuditOptions>>().Value;
            return options.EffectiveStore == AuditStoreKind.Postgres
                ? new PostgresAuditStore(options.PostgresConnectionString!)
                : new SqliteAuditStore(Path.Combine(options.EffectiveDirectory, "audit.db"));
        });
        services.TryAddSingleton(static sp => new AuditSpool(sp.GetRequiredService<IOptions<AuditOptions>>().Value.EffectiveDirectory,
            Chain(sp), sp.GetRequiredService<ILogger<AuditSpool>>()));
        services.TryAddSingleton(static sp => new AuditSink(Chain(sp), sp.GetRequiredService<IOptions<AuditOptions>>().Value.QueueCapacity,
            sp.GetRequiredService<AuditSpool>(), sp.GetRequiredService<AuditMetrics>()));
        services.TryAddSingleton<AuditWriter>();
        services.AddHostedService(static sp =>
        {
            var options = sp.GetRequiredService<IOptions<AuditOptions>>().Value;
            var store = sp.GetRequiredService<IAuditStore>();
            AuditLog.Started(sp.GetRequiredService<ILogger<AuditWriter>>(), options.EffectiveStore.ToString(),
                store is SqliteAuditStore sqlite ? sqlite.Path : "PostgreSQL", Chain(sp));
            return sp.GetRequiredService<AuditWriter>();
        });
        return builder;
    }

    /// <summary>Audits every request to /v1 and /admin. Call it before the error handling so a record carries the status
    /// the client got.</summary>
    public static WebApplication UseParleyAudit(this WebApplication app)
    {
        app.UseMiddleware<AuditMiddleware>();
        return app;
    }

    /// <summary>This silo's chain: its Orleans silo address with generation, unique per silo process.</summary>
    private static string Chain(IServiceProvider services) => services.GetRequiredService<ILocalSiloDetails>().SiloAddress.ToParsableString();
}
