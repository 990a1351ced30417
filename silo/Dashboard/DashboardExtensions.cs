using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Orleans.Dashboard;
using Parley.Silo.Auth.Sessions;
using Parley.Silo.OperatorConsole;

namespace Parley.Silo.Dashboard;

/// <summary>The Orleans Dashboard on every silo, at <see cref="SiloDashboardOptions.Path"/>, never anonymous: every
/// route it maps (page, assets and its JSON API) requires the admin policy, met by an admin session cookie from the
/// sign-in page or by <c>Authorization: Bearer &lt;admin key&gt;</c>.</summary>
public static class DashboardExtensions
{
    /// <summary>The dashboard's options and the admin sign-in it needs. The Orleans side is
    /// <see cref="AddParleyDashboard(ISiloBuilder, IConfiguration)"/>, called where the silo is configured.</summary>
    public static WebApplicationBuilder AddParleyDashboard(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<SiloDashboardOptions>().BindConfiguration(SiloDashboardOptions.SectionName).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<SiloDashboardOptions>, SiloDashboardOptionsValidator>());
        // The sign-in serves the dashboard and Parley's console alike; its settings stay in this section.
        if (Read(builder.Configuration).Enabled || ConsoleExtensions.IsConsoleEnabled(builder.Configuration))
        {
            builder.AddParleyAdminSessions(SiloDashboardOptions.SectionName);
        }
        return builder;
    }

    /// <summary>Adds the Orleans Dashboard's collectors (silo statistics, grain profiling) to this silo, unless
    /// Parley:Dashboard:Enabled is false.</summary>
    public static ISiloBuilder AddParleyDashboard(this ISiloBuilder silo, IConfiguration configuration)
    {
        var options = Read(configuration);
        if (!options.Enabled)
        {
            return silo;
        }
        silo.AddDashboard(o =>
        {
            o.HideTrace = !options.LogStream;
            o.CounterUpdateIntervalMs = (int)options.CounterUpdateInterval.TotalMilliseconds;
        });
        // Method profiling only while someone looks at the dashboard (the profiler stops a minute after its last
        // query), so a silo nobody watches pays one flag check per grain call.
        silo.Services.Configure<GrainProfilerOptions>(static o => o.TraceAlways = false);
        return silo;
    }

    public static WebApplication MapParleyDashboard(this WebApplication app)
    {
        var dashboard = app.Services.GetRequiredService<IOptions<SiloDashboardOptions>>().Value.Enabled;
        var console = app.Services.GetRequiredService<IOptions<ConsoleOptions>>().Value.Enabled;
        if (dashboard || console)
        {
            app.MapParleyAdminSessions(defaultReturnUrl: (dashboard ? SiloDashboardOptions.Path : ConsoleOptions.Path) + "/");
        }
        if (!dashboard)
        {
            return app;
        }
        app.UseDashboardAddressGuard(SiloDashboardOptions.Path);
        app.MapOrleansDashboard(SiloDashboardOptions.Path).RequireAuthorization(AdminSessions.PolicyName);
        return app;
    }

    // Orleans and the authentication schemes are set up before the container exists: validate here as well, so a bad
    // value is one clear error at start.
    private static SiloDashboardOptions Read(IConfiguration configuration)
    {
        var options = configuration.GetSection(SiloDashboardOptions.SectionName).Get<SiloDashboardOptions>() ?? new SiloDashboardOptions();
        var result = new SiloDashboardOptionsValidator().Validate(null, options);
        return result.Failed ? throw new OptionsValidationException(nameof(SiloDashboardOptions), typeof(SiloDashboardOptions), result.Failures) : options;
    }
}
