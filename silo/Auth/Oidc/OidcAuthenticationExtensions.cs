using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;

namespace Parley.Silo.Auth.Oidc;

internal static class OidcAuthenticationExtensions
{
    /// <summary>The JWT bearer scheme <see cref="ParleyBearer.JwtScheme"/>, when Parley:Auth:Oidc:Authority is set.</summary>
    public static AuthenticationBuilder AddParleyOidc(this AuthenticationBuilder authentication, IConfiguration configuration)
    {
        var services = authentication.Services;
        services.AddOptions<OidcOptions>().BindConfiguration(OidcOptions.SectionName).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<OidcOptions>, OidcOptionsValidator>());
        var options = configuration.GetSection(OidcOptions.SectionName).Get<OidcOptions>() ?? new OidcOptions();
        if (!options.Enabled)
        {
            return authentication;
        }

        services.AddHttpClient(OidcMetadata.HttpClientName);
        services.TryAddSingleton<OidcMetadata>();
        services.TryAddSingleton<OidcUsers>();
        services.AddSingleton<ILocalIdentityCache>(static sp => sp.GetRequiredService<OidcUsers>());
        services.TryAddSingleton<OidcJwtEvents>();
        authentication.AddJwtBearer(ParleyBearer.JwtScheme, static _ => { });
        services.AddOptions<JwtBearerOptions>(ParleyBearer.JwtScheme)
            .Configure<IOptions<OidcOptions>, OidcMetadata, TimeProvider>(static (jwt, oidcOptions, metadata, time) =>
            {
                var oidc = oidcOptions.Value;
                jwt.Authority = oidc.Authority;
                jwt.Audience = oidc.Audience;
                jwt.RequireHttpsMetadata = oidc.RequireHttpsMetadata;
                // Parley's own manager: it refreshes for an unknown key id before validating, not after failing.
                jwt.ConfigurationManager = metadata;
                jwt.RefreshOnIssuerKeyNotFound = false;
                jwt.MapInboundClaims = false;
                jwt.SaveToken = false;
                jwt.IncludeErrorDetails = false;
                jwt.TimeProvider = time;
                jwt.EventsType = typeof(OidcJwtEvents);
                jwt.TokenValidationParameters = new TokenValidationParameters
                {
                    ValidateIssuer = true,
                    ValidIssuers = [OidcOptions.NormalizeIssuer(oidc.Authority!), OidcOptions.NormalizeIssuer(oidc.Authority!) + "/"],
                    ValidateAudience = true,
                    ValidAudience = oidc.Audience,
                    ValidateLifetime = true,
                    RequireExpirationTime = true,
                    RequireSignedTokens = true,
                    ValidateIssuerSigningKey = true,
                    ValidAlgorithms = oidc.EffectiveAlgorithms,
                    ClockSkew = oidc.ClockSkew,
                    LifetimeValidator = TokenLifetime.Validator(time),
                    NameClaimType = oidc.UserClaim,
                    RoleClaimType = oidc.AdminClaimType,
                };
            });
        return authentication;
    }
}
