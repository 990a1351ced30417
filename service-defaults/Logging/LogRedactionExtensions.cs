using System.Security.Cryptography;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Compliance.Classification;
using Microsoft.Extensions.Compliance.Redaction;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Parley.ServiceDefaults.Logging;

/// <summary>Wires log redaction for a host: the extended logger factory (which applies the data classes of
/// <see cref="ParleyDataClasses"/> marked on <c>[LoggerMessage]</c> parameters), the redactor of each class, and
/// HttpClient logging that never prints a header value.</summary>
public static class LogRedactionExtensions
{
    public static WebApplicationBuilder AddParleyLogRedaction(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        var section = builder.Configuration.GetSection(LogRedactionOptions.SectionName);
        services.AddOptions<LogRedactionOptions>().Bind(section).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<LogRedactionOptions>, LogRedactionOptionsValidator>());
        // The redactors are set up now, before the container exists: a bad key is one clear error here.
        var options = section.Get<LogRedactionOptions>() ?? new LogRedactionOptions();
        var validation = new LogRedactionOptionsValidator().Validate(null, options);
        if (validation.Failed)
        {
            throw new OptionsValidationException(nameof(LogRedactionOptions), typeof(LogRedactionOptions), validation.Failures);
        }
        builder.Services.AddParleyLogRedaction(options);
        return builder;
    }

    /// <summary>The same on a bare service collection (a test's logger factory): redaction on every logger the
    /// container makes, the redactor of each data class keyed by <paramref name="options"/> (validated by the caller),
    /// the floors on framework categories, header values out of HttpClient logs.</summary>
    public static IServiceCollection AddParleyLogRedaction(this IServiceCollection services, LogRedactionOptions options)
    {
        var key = options.IdHmacKey.Length > 0 ? options.IdHmacKey : Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));

        services.AddLogging(logging => logging.EnableRedaction());
        // One id, one pseudonym, whichever parameter carries it (a user id as "UserId" in one record and as
        // "Credential" in another): without this the parameter's name is mixed into the hash.
        services.Configure<LoggerRedactionOptions>(redaction => redaction.ApplyDiscriminator = false);
        services.AddRedaction(redaction =>
        {
            redaction.SetRedactor<ErasingRedactor>(new DataClassificationSet(ParleyDataClasses.Secret), new DataClassificationSet(ParleyDataClasses.Content));
            redaction.SetHmacRedactor(hmac =>
            {
                hmac.Key = key;
                hmac.KeyId = options.IdHmacKeyId;
            }, new DataClassificationSet(ParleyDataClasses.Personal), new DataClassificationSet(ParleyDataClasses.Pseudonymous));
            // A class nobody configured (another library's) is erased, never printed.
            redaction.SetFallbackRedactor<ErasingRedactor>();
        });

        services.TryAddEnumerable(ServiceDescriptor.Singleton<IPostConfigureOptions<LoggerFilterOptions>, LogFloors>());

        // IHttpClientFactory logs every request's headers at Trace: their names only, never a value (the upstream
        // clients carry API keys in Authorization, api-key and x-api-key).
        services.ConfigureHttpClientDefaults(http => http.RedactLoggedHeaders(static _ => true));
        return services;
    }
}