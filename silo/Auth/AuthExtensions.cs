using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Orleans.Hosting;
using Parley.Grains.Encryption;
using Parley.Grains.Redis;
using Parley.Silo.Auth.Oidc;
using Parley.Silo.Auth.Revocation;
using Parley.Silo.Auth.Signing;
using Parley.Silo.Auth.Store;

namespace Parley.Silo.Auth;

public static class AuthExtensions
{
    /// <summary>Virtual-key authentication, and JWTs from an OIDC issuer when Parley:Auth:Oidc:Authority is set. The identity store follows the cluster's choice: Redis when
    /// Parley:Redis:ConnectionString is set (the connection registered by AddParleyCluster), else in memory.</summary>
    public static WebApplicationBuilder AddParleyAuth(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<AuthOptions>().BindConfiguration(AuthOptions.SectionName).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<AuthOptions>, AuthOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);

        if (!builder.Configuration.HasRedis())
        {
            services.TryAddSingleton<IIdentityStore, InMemoryIdentityStore>();
            services.TryAddSingleton<INonceStore, MemoryNonceStore>();
        }
        else
        {
            services.TryAddSingleton<IIdentityStore, RedisIdentityStore>();
            services.TryAddSingleton<INonceStore, RedisNonceStore>();
        }
        services.TryAddSingleton<RequestSignatureVerifier>();

        // The authenticator opens keys' sealed signing secrets.
        services.AddParleyEncryption();
        services.TryAddSingleton<ApiKeyAuthenticator>();
        services.AddSingleton<ILocalIdentityCache>(static sp => sp.GetRequiredService<ApiKeyAuthenticator>());
        // A revoke reaches every silo's cache through a grain service on each.
        services.AddGrainService<IdentityCacheService>();
        services.TryAddSingleton<IIdentityCaches, ClusterIdentityCaches>();
        services.TryAddSingleton<IdentityManager>();
        services.TryAddSingleton<IBootstrapAnnouncer, ConsoleBootstrapAnnouncer>();
        services.AddHostedService<AuthBootstrapper>();

        // One policy scheme for every bearer credential: a JWT-shaped token goes to the OIDC scheme (when configured),
        // anything else to the virtual-key scheme.
        var oidcEnabled = (builder.Configuration.GetSection(OidcOptions.SectionName).Get<OidcOptions>() ?? new OidcOptions()).Enabled;
        services.AddAuthentication()
            .AddPolicyScheme(ParleyBearer.Scheme, displayName: null, o => o.ForwardDefaultSelector = context =>
                oidcEnabled && ParleyBearer.Token(context.Request) is { } token && ParleyBearer.LooksLikeJwt(token) ? ParleyBearer.JwtScheme : ParleyBearer.KeyScheme)
            .AddScheme<AuthenticationSchemeOptions, VirtualKeyAuthenticationHandler>(ParleyBearer.KeyScheme, displayName: null, static _ => { })
            .AddParleyOidc(builder.Configuration);
        return builder;
    }

    public static WebApplication UseParleyAuth(this WebApplication app)
    {
        app.UseMiddleware<ParleyAuthMiddleware>();
        return app;
    }
}
