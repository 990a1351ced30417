using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Orleans.Clustering.Redis;
using Orleans.Configuration;
using Orleans.Hosting;
using Parley.Grains;
using Parley.Grains.Conversations;
using Parley.Grains.Redis;
using Parley.ServiceDefaults;
using Parley.Silo.Batches;
using Parley.Silo.Conversations;
using Parley.Silo.Dashboard;
using StackExchange.Redis;

namespace Parley.Silo;

public static class ClusterHostingExtensions
{
    /// <summary>The silo's Orleans runtime. With Parley:Redis:ConnectionString set: Orleans' Redis membership, Redis
    /// grain storage and Redis grain directory, all over the process's one Redis connection. Without: a cluster of one on
    /// loopback with in-memory storage, so <c>dotnet run --project silo</c> needs nothing else.</summary>
    public static WebApplicationBuilder AddParleyCluster(this WebApplicationBuilder builder)
    {
        var configuration = builder.Configuration;
        var services = builder.Services;
        services.AddOptions<SiloClusterOptions>().Bind(configuration.GetSection(SiloClusterOptions.SectionName)).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<SiloClusterOptions>, SiloClusterOptionsValidator>());
        // Orleans is configured now, before the container exists: validate here too, so a bad value is one clear error.
        var cluster = Validated(configuration.GetSection(SiloClusterOptions.SectionName).Get<SiloClusterOptions>() ?? new SiloClusterOptions(),
            new SiloClusterOptionsValidator());
        var conversations = Validated(configuration.GetSection(ConversationOptions.SectionName).Get<ConversationOptions>() ?? new ConversationOptions(),
            new ConversationOptionsValidator());
        var redis = configuration.HasRedis();
        if (redis)
        {
            services.AddRedis();
        }
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<Cluster.ClusterCalls>();
        if (cluster.FrontEndHttp2Port > 0)
        {
            ListenForFrontEnd(builder, cluster.FrontEndHttp2Port);
        }

        builder.UseOrleans(silo =>
        {
            silo.Configure<ClusterOptions>(o =>
            {
                o.ClusterId = cluster.ClusterId;
                o.ServiceId = cluster.ServiceId;
            });
            ConfigureEndpoints(silo, cluster, redis);
            silo.Configure<ClusterMembershipOptions>(o =>
            {
                o.ProbeTimeout = cluster.ProbeTimeout;
                o.NumMissedProbesLimit = cluster.NumMissedProbesLimit;
                o.TableRefreshTimeout = cluster.TableRefreshTimeout;
            });
            silo.Configure<SiloMessagingOptions>(o => o.ResponseTimeout = cluster.GrainCallTimeout);
            // A grain call is a span of the request that made it (when tracing is on), in the request's trace.
            silo.AddActivityPropagation();
            silo.Configure<GrainCollectionOptions>(o =>
                o.ClassSpecificCollectionAge[typeof(ConversationGrain).FullName!] = conversations.IdleTimeout);
            if (redis)
            {
                silo.UseRedisClustering(static _ => { });
                silo.Services.AddOptions<RedisClusteringOptions>().Configure<IRedisConnection>(static (o, connection) =>
                    (o.ConfigurationOptions, o.CreateMultiplexer) = connection.ForOrleans<RedisClusteringOptions>());
                // One registration per grain in Redis, kept through silo deaths: a killed silo's grains are not re-homed
                // from a lost directory partition, so a conversation does not briefly live twice after a kill -9.
                silo.UseRedisGrainDirectoryAsDefault(static options => options.Configure<IRedisConnection>(static (o, connection) =>
                    (o.ConfigurationOptions, o.CreateMultiplexer) = connection.ForOrleans<RedisGrainDirectoryOptions>()));
            }
            silo.AddParleyGrainStorage(redis);
            silo.AddParleyReminders(redis, configuration);
            if (cluster.Kubernetes)
            {
                silo.UseKubernetesHosting();
            }
            silo.AddParleyDashboard(configuration);
        });

        services.AddOptions<ShutdownOptions>()
            .Bind(configuration.GetSection(ShutdownOptions.SectionName))
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<ShutdownOptions>, ShutdownOptionsValidator>();
        // The host's stop budget covers the drain (readiness fails and the silo keeps serving for DrainDelay, then
        // in-flight requests get GracePeriod) and then Orleans' own stop.
        services.AddOptions<HostOptions>().Configure<IOptions<ShutdownOptions>>((host, shutdown)
            => host.ShutdownTimeout = shutdown.Value.ShutdownTimeout);
        services.AddHostedService<Hosting.StartupBanner>();
        return builder;
    }

    /// <summary>The front end's HTTP/2 port beside each API address (as the management port is): the same application
    /// and pipeline, only the protocol differs.</summary>
    private static void ListenForFrontEnd(WebApplicationBuilder builder, int port)
    {
        // The URLs so far (UseUrls writes them into the configuration), the management port's included.
        var current = ManagementPort.ApiUrls(builder.Configuration);
        builder.WebHost.UseUrls([.. current, .. ManagementPort.Urls(builder.Configuration, port)]);
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.ConfigureEndpointDefaults(endpoint =>
        {
            if (endpoint.IPEndPoint?.Port == port)
            {
                endpoint.Protocols = HttpProtocols.Http2;
            }
        }));
    }

    private static void ConfigureEndpoints(ISiloBuilder silo, SiloClusterOptions cluster, bool redis)
    {
        silo.Configure<EndpointOptions>(o =>
        {
            o.SiloPort = cluster.SiloPort;
            o.GatewayPort = cluster.GatewayPort;
            var address = cluster.ParseAdvertisedAddress() ?? (redis ? null : IPAddress.Loopback);
            if (address is not null)
            {
                // Listen where advertised: several silos on one machine each take their own loopback address. (Without
                // one, Orleans advertises the machine's first address and listens on every interface.)
                o.AdvertisedIPAddress = address;
                o.SiloListeningEndpoint = new IPEndPoint(address, cluster.SiloPort);
                o.GatewayListeningEndpoint = new IPEndPoint(address, cluster.GatewayPort);
            }
        });
        if (!redis)
        {
            silo.UseDevelopmentClustering(new IPEndPoint(cluster.ParseAdvertisedAddress() ?? IPAddress.Loopback, cluster.SiloPort));
        }
    }

    private static T Validated<T>(T options, IValidateOptions<T> validator)
        where T : class
    {
        var result = validator.Validate(null, options);
        return result.Failed ? throw new OptionsValidationException(typeof(T).Name, typeof(T), result.Failures) : options;
    }
}
