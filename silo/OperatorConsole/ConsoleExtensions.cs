using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Parley.Silo.OperatorConsole;

/// <summary>Parley's operators' console at <see cref="ConsoleOptions.Path"/>: users and their usage, upstream keys,
/// deployments and conversations, live; admins only, through the admin sessions the Orleans Dashboard uses.</summary>
public static class ConsoleExtensions
{
    public static WebApplicationBuilder AddParleyConsole(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<ConsoleOptions>().BindConfiguration(ConsoleOptions.SectionName).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<ConsoleOptions>, ConsoleOptionsValidator>());
        services.TryAddSingleton<ConsoleSnapshotReader>();
        // Each silo answers for its own router; the console asks them all.
        services.AddGrainService<RoutingViewService>();
        services.TryAddSingleton<ClusterRoutingViews>();
        return builder;
    }

    /// <summary>Whether Parley:Console:Enabled is on (read before the container exists: the admin sessions are added
    /// for the console or the dashboard).</summary>
    public static bool IsConsoleEnabled(IConfiguration configuration)
        => configuration.GetSection(ConsoleOptions.SectionName).GetValue(nameof(ConsoleOptions.Enabled), defaultValue: true);

    public static WebApplication MapParleyConsole(this WebApplication app)
    {
        if (app.Services.GetRequiredService<IOptions<ConsoleOptions>>().Value.Enabled)
        {
            ConsoleEndpoints.Map(app);
        }
        return app;
    }
}
