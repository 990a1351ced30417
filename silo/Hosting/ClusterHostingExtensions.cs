using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Parley.Runtime.Hosting;

namespace Parley.Silo;

public static class ClusterHostingExtensions
{
    // Leaving membership and flushing logs after the grains are down.
    private static readonly TimeSpan ShutdownMargin = TimeSpan.FromSeconds(5);

    /// <summary>Grain runtime, storage and membership: Redis when Parley:Redis:ConnectionString is set, else in-memory.</summary>
    public static WebApplicationBuilder AddParleyCluster(this WebApplicationBuilder builder)
    {
        var configuration = builder.Configuration;
        var services = builder.Services;
        services.AddGrainRuntime(options => configuration.GetSection(GrainRuntimeOptions.SectionName).Bind(options));
        if (!string.IsNullOrWhiteSpace(configuration[$"{RedisOptions.SectionName}:{nameof(RedisOptions.ConnectionString)}"]))
        {
            services.AddRedis(options => configuration.GetSection(RedisOptions.SectionName).Bind(options));
            services.AddRedisGrainStorage();
            services.AddRedisMembershipTable();
        }
        else
        {
            services.AddMemoryGrainStorage();
            services.AddInMemoryMembershipTable();
        }
        services.AddSiloMembership(options => configuration.GetSection(MembershipOptions.SectionName).Bind(options));
        services.TryAddSingleton(TimeProvider.System);

        services.AddOptions<ShutdownOptions>()
            .Bind(configuration.GetSection(ShutdownOptions.SectionName))
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<ShutdownOptions>, ShutdownOptionsValidator>();
        // The host's stop budget covers the drain (streams still running when the grace period ends are cut, see
        // SiloLifecycleState) and then the runtime's stop hooks: deactivate grains, persist state, leave membership.
        var grains = new GrainRuntimeOptions();
        configuration.GetSection(GrainRuntimeOptions.SectionName).Bind(grains);
        services.AddOptions<HostOptions>().Configure<IOptions<ShutdownOptions>>((host, shutdown)
            => host.ShutdownTimeout = shutdown.Value.GracePeriod + grains.DeactivationTimeout + ShutdownMargin);
        services.AddHostedService<Hosting.StartupBanner>();
        return builder;
    }
}
