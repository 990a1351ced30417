using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Parley.ClientApi.Configuration;
using Parley.ClientApi.Forwarding;
using Parley.ClientApi.Health;
using Parley.ClientApi.LoadBalancing;
using Parley.ClientApi.Membership;
using Parley.ClientApi.Routing;
using Parley.ServiceDefaults;
using Yarp.ReverseProxy.Configuration;
using Yarp.ReverseProxy.Forwarder;
using Yarp.ReverseProxy.Health;
using Yarp.ReverseProxy.LoadBalancing;

namespace Parley.ClientApi.Hosting;

/// <summary>Composes the front end: YARP with the silo cluster as its one destination set, where the silos come from
/// (the Orleans cluster's membership or a fixed list), routing, retries and the health probes.</summary>
public static class FrontEndHostingExtensions
{
    /// <summary>The front end's <c>service.name</c> in traces, metrics and logs.</summary>
    public const string ServiceName = "parley-frontend";

    public static WebApplicationBuilder AddParleyFrontEnd(this WebApplicationBuilder builder)
    {
        builder.AddParleyServiceDefaults(ServiceName, typeof(FrontEndHostingExtensions).Assembly);
        var services = builder.Services;
        var configuration = builder.Configuration;
        var usesMembership = !string.IsNullOrWhiteSpace(configuration[$"{FrontEndRedisOptions.SectionName}:{nameof(FrontEndRedisOptions.ConnectionString)}"]);

        services.AddOptions<FrontEndOptions>()
            .Bind(configuration.GetSection(FrontEndOptions.SectionName))
            .PostConfigure(o => o.UsesMembership = usesMembership)
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<FrontEndOptions>, FrontEndOptionsValidator>();
        services.TryAddSingleton(TimeProvider.System);

        // YARP's default transforms stay: X-Forwarded-For/-Proto/-Host tell the silo who called.
        services.AddReverseProxy();
        services.AddSingleton<SiloProxyConfigProvider>();
        services.AddSingleton<IProxyConfigProvider>(sp => sp.GetRequiredService<SiloProxyConfigProvider>());
        services.AddSingleton<ILoadBalancingPolicy, RendezvousLoadBalancingPolicy>();
        services.AddSingleton<IPassiveHealthCheckPolicy, SiloFailureHealthPolicy>();
        services.AddSingleton<IForwarderHttpClientFactory, SiloHttpClientFactory>();
        services.AddSingleton<ISiloView, SiloView>();
        services.AddHostedService<SiloViewMetrics>();

        if (usesMembership)
        {
            services.AddOptions<FrontEndRedisOptions>().Bind(configuration.GetSection(FrontEndRedisOptions.SectionName));
            services.AddOptions<FrontEndClusterOptions>()
                .Bind(configuration.GetSection(FrontEndClusterOptions.SectionName))
                .ValidateOnStart();
            services.AddSingleton<IValidateOptions<FrontEndClusterOptions>, FrontEndClusterOptionsValidator>();
            // A source registered before (a test's) replaces the Orleans client.
            if (!services.Any(d => d.ServiceType == typeof(ISiloMembershipSource)))
            {
                services.AddSingleton<OrleansMembershipSource>();
                services.AddSingleton<ISiloMembershipSource>(sp => sp.GetRequiredService<OrleansMembershipSource>());
                // Registered before the watcher, so it stops after it.
                services.AddHostedService(sp => sp.GetRequiredService<OrleansMembershipSource>());
            }
            services.AddHostedService<SiloMembershipWatcher>();
        }

        if (configuration.GetValue($"{FrontEndOptions.SectionName}:{nameof(FrontEndOptions.InlineCompletions)}", true))
        {
            builder.WebHost.UseSockets(sockets => sockets.UnsafePreferInlineScheduling = true);
        }
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            // The silo enforces Parley:Limits:MaxRequestBodyBytes with an OpenAI-shaped 413; a limit here would answer
            // a bare 413 that a silo never gives.
            kestrel.Limits.MaxRequestBodySize = null;
            // The silo's Server header is forwarded; Kestrel must not add a second one.
            kestrel.AddServerHeader = false;
        });
        return builder;
    }

    public static WebApplication MapParleyFrontEnd(this WebApplication app)
    {
        // The management port (Prometheus) first: nothing there is forwarded to a silo.
        app.UseParleyServiceDefaults();
        app.MapFrontEndHealth();
        // Every other route, any method, goes to a silo: the front end has no API surface of its own.
        app.MapReverseProxy(proxy =>
        {
            proxy.UseMiddleware<NoSiloMiddleware>();
            proxy.UseMiddleware<BodyRoutingKeyMiddleware>();
            proxy.UseMiddleware<SiloRetryMiddleware>();
            proxy.UseLoadBalancing();
            proxy.UsePassiveHealthChecks();
        });
        return app;
    }
}
