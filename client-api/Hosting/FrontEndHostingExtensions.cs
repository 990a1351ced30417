using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Parley.ClientApi.Forwarding;
using Parley.ClientApi.Health;
using Parley.ClientApi.Routing;
using Parley.Runtime.Hosting;

namespace Parley.ClientApi.Hosting;

/// <summary>Composes the front end: where the silos come from, the forwarder and the health probes.</summary>
public static class FrontEndHostingExtensions
{
    public static WebApplicationBuilder AddParleyFrontEnd(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        var configuration = builder.Configuration;
        var usesMembership = !string.IsNullOrWhiteSpace(configuration[$"{RedisOptions.SectionName}:ConnectionString"]);

        services.AddOptions<FrontEndOptions>()
            .Bind(configuration.GetSection(FrontEndOptions.SectionName))
            .PostConfigure(o => o.UsesMembership = usesMembership)
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<FrontEndOptions>, FrontEndOptionsValidator>();

        if (usesMembership)
        {
            // The same keys as the silo's, so one ConfigMap configures both.
            services.AddRedis(o => configuration.GetSection(RedisOptions.SectionName).Bind(o));
            services.AddRedisMembershipTable();
            services.AddMembershipReader(o => configuration.GetSection(MembershipOptions.SectionName).Bind(o));
            services.TryAddSingleton<ISiloDirectory, MembershipSiloDirectory>();
        }
        else
        {
            services.TryAddSingleton<ISiloDirectory, StaticSiloDirectory>();
        }

        services.AddSingleton<ForwarderHttpClient>();
        services.AddSingleton<SiloForwarder>();

        // The silo enforces Parley:Limits:MaxRequestBodyBytes with an OpenAI-shaped 413; a Kestrel limit here would
        // answer a bare 413 that a silo never gives.
        builder.WebHost.ConfigureKestrel(k => k.Limits.MaxRequestBodySize = null);
        return builder;
    }

    public static WebApplication MapParleyFrontEnd(this WebApplication app)
    {
        app.MapFrontEndHealth();
        // Every other route, any method, goes to a silo: the front end has no API surface of its own.
        var forwarder = app.Services.GetRequiredService<SiloForwarder>();
        app.Map("/{**path}", forwarder.ForwardAsync);
        return app;
    }
}
