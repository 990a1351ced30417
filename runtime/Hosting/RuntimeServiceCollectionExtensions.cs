using System.Text.Json.Serialization.Metadata;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Parley.Runtime.Grains;
using Parley.Runtime.Membership;
using Parley.Runtime.Redis;
using Parley.Runtime.Storage;

namespace Parley.Runtime.Hosting;

/// <summary>Registers the runtime. Each options type is bound from its configuration section (when an
/// <see cref="IConfiguration"/> is registered) and then from the <c>configure</c> callback, and validated at start.</summary>
public static class RuntimeServiceCollectionExtensions
{
    /// <summary>Grain factory, activation directory, idle collector and shutdown deactivation.</summary>
    public static IServiceCollection AddGrainRuntime(this IServiceCollection services, Action<GrainRuntimeOptions>? configure = null)
    {
        AddValidatedOptions<GrainRuntimeOptions, GrainRuntimeOptionsValidator>(services, GrainRuntimeOptions.SectionName, static (s, o) => s.Bind(o), configure);
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<GrainCatalog>();
        services.TryAddSingleton<IGrainFactory>(sp => sp.GetRequiredService<GrainCatalog>().GrainFactory);
        services.TryAddSingleton<IGrainRuntimeStatistics>(sp => sp.GetRequiredService<GrainCatalog>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, ActivationCollector>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, GrainRuntimeLifecycle>());
        AddStateSerializer(services);
        return services;
    }

    /// <summary>Registers a grain class for its interface. <paramref name="collectionAge"/> overrides the default idle age.</summary>
    public static IServiceCollection AddGrain<TGrainInterface, TGrain>(this IServiceCollection services, TimeSpan? collectionAge = null)
        where TGrainInterface : IGrainWithStringKey
        where TGrain : Grain, TGrainInterface
    {
        // Built here so a grain class the runtime cannot host fails at startup, not on its first call.
        services.AddSingleton(GrainRegistration.Create(typeof(TGrainInterface), typeof(TGrain), collectionAge));
        return services;
    }

    /// <summary>Adds a System.Text.Json source-generated resolver used to (de)serialise grain state.</summary>
    public static IServiceCollection AddGrainStateJson(this IServiceCollection services, IJsonTypeInfoResolver resolver)
    {
        ArgumentNullException.ThrowIfNull(resolver);
        services.Configure<GrainStateJsonOptions>(o => o.Resolvers.Add(resolver));
        AddStateSerializer(services);
        return services;
    }

    public static IServiceCollection AddMemoryGrainStorage(this IServiceCollection services, string name = GrainStorageNames.Default)
    {
        AddStateSerializer(services);
        services.AddKeyedSingleton<IGrainStorage>(name, static (sp, _) => new MemoryGrainStorage(sp.GetRequiredService<GrainStateSerializer>()));
        return services;
    }

    /// <summary>Redis grain storage; requires <see cref="AddRedis"/>.</summary>
    public static IServiceCollection AddRedisGrainStorage(this IServiceCollection services, string name = GrainStorageNames.Default)
    {
        AddStateSerializer(services);
        services.AddKeyedSingleton<IGrainStorage>(name, static (sp, key) => new RedisGrainStorage(
            (string)key!, RequireRedis(sp), sp.GetRequiredService<GrainStateSerializer>(), sp.GetRequiredService<ILogger<RedisGrainStorage>>()));
        return services;
    }

    /// <summary>One shared <c>ConnectionMultiplexer</c> (exposed as <see cref="Redis.IRedisConnection"/>).</summary>
    public static IServiceCollection AddRedis(this IServiceCollection services, Action<RedisOptions> configure)
    {
        AddValidatedOptions<RedisOptions, RedisOptionsValidator>(services, RedisOptions.SectionName, static (s, o) => s.Bind(o), configure);
        services.TryAddSingleton<RedisConnection>();
        services.TryAddSingleton<IRedisConnection>(sp => sp.GetRequiredService<RedisConnection>());
        return services;
    }

    public static IServiceCollection AddInMemoryMembershipTable(this IServiceCollection services)
    {
        services.AddSingleton<IMembershipTable, InMemoryMembershipTable>();
        return services;
    }

    /// <summary>Redis membership table; requires <see cref="AddRedis"/>.</summary>
    public static IServiceCollection AddRedisMembershipTable(this IServiceCollection services)
    {
        AddValidatedOptions<MembershipOptions, MembershipOptionsValidator>(services, MembershipOptions.SectionName, BindMembership, null);
        services.AddSingleton<IMembershipTable>(static sp => new RedisMembershipTable(RequireRedis(sp),
            sp.GetRequiredService<IOptions<MembershipOptions>>().Value.ClusterId, sp.GetRequiredService<ILogger<RedisMembershipTable>>()));
        return services;
    }

    /// <summary>The silo's membership agent (join, IAmAlive heartbeats, graceful leave) plus
    /// <see cref="Membership.IClusterMembership"/> and <see cref="Membership.ILocalSiloMembership"/>.</summary>
    public static IServiceCollection AddSiloMembership(this IServiceCollection services, Action<MembershipOptions>? configure = null)
    {
        AddValidatedOptions<MembershipOptions, MembershipOptionsValidator>(services, MembershipOptions.SectionName, BindMembership, configure);
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<MembershipAgent>();
        services.TryAddSingleton<IClusterMembership>(sp => sp.GetRequiredService<MembershipAgent>());
        services.TryAddSingleton<ILocalSiloMembership>(sp => sp.GetRequiredService<MembershipAgent>());
        services.AddHostedService(sp => sp.GetRequiredService<MembershipAgent>());
        return services;
    }

    /// <summary>A read-only view of the live silos (for the front end), as <see cref="Membership.IClusterMembership"/>.</summary>
    public static IServiceCollection AddMembershipReader(this IServiceCollection services, Action<MembershipOptions>? configure = null)
    {
        AddValidatedOptions<MembershipOptions, MembershipOptionsValidator>(services, MembershipOptions.SectionName, BindMembership, configure);
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<MembershipReader>();
        services.TryAddSingleton<IClusterMembership>(sp => sp.GetRequiredService<MembershipReader>());
        services.AddHostedService(sp => sp.GetRequiredService<MembershipReader>());
        return services;
    }

    private static void AddStateSerializer(IServiceCollection services)
    {
        services.AddOptions<GrainStateJsonOptions>();
        services.TryAddSingleton<GrainStateSerializer>();
    }

    private static IRedisConnection RequireRedis(IServiceProvider services)
        => services.GetService<IRedisConnection>()
           ?? throw new InvalidOperationException("Redis providers require services.AddRedis(...).");

    // Each binding is a call on a concrete options type, so the configuration binding source generator emits it.
    private static void BindMembership(IConfiguration section, MembershipOptions options) => section.Bind(options);

    private static void AddValidatedOptions<TOptions, TValidator>(IServiceCollection services, string section, Action<IConfiguration, TOptions> bind, Action<TOptions>? configure)
        where TOptions : class
        where TValidator : class, IValidateOptions<TOptions>
    {
        var builder = services.AddOptions<TOptions>();
        // Bind the section once however many Add* calls share the options type; configure callbacks run after it.
        if (!services.Any(d => d.ServiceType == typeof(SectionBinding<TOptions>)))
        {
            services.AddSingleton(new SectionBinding<TOptions>());
            builder.Configure<IServiceProvider>((options, sp) =>
            {
                if (sp.GetService<IConfiguration>() is { } configuration)
                {
                    bind(configuration.GetSection(section), options);
                }
            });
        }
        if (configure is not null)
        {
            builder.Configure(configure);
        }
        builder.ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<TOptions>, TValidator>());
    }

    /// <summary>Marks that a section binding was registered for <typeparamref name="TOptions"/>.</summary>
    private sealed class SectionBinding<TOptions>;
}
