using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Parley.Grains.Redis;

namespace Parley.Grains.Encryption;

public static partial class EncryptionServiceCollectionExtensions
{
    /// <summary>The process's <see cref="ContentCipher"/>, from <see cref="EncryptionOptions.SectionName"/> (validated at
    /// start). Without keys: embedded (no <see cref="IRedisConnection"/>) a random key for the life of the process, so
    /// the in-memory storage takes the same path as a cluster's; on Redis encryption is off, with a warning at start.</summary>
    public static IServiceCollection AddParleyEncryption(this IServiceCollection services)
    {
        if (services.Any(d => d.ServiceType == typeof(ContentCipher)))
        {
            return services;
        }
        services.AddOptions<EncryptionOptions>()
            .Configure<IServiceProvider>(static (options, sp) => sp.GetService<IConfiguration>()?.GetSection(EncryptionOptions.SectionName).Bind(options))
            .ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<EncryptionOptions>, EncryptionOptionsValidator>());
        // Made at start, so its log line (and the warning when encryption is off) comes with the silo's first lines.
        services.AddHostedService<EncryptionStartup>();
        services.AddSingleton(static sp => Create(sp.GetRequiredService<IOptions<EncryptionOptions>>().Value,
            embedded: sp.GetService<IRedisConnection>() is null, sp.GetRequiredService<ILoggerFactory>().CreateLogger<ContentCipher>()));
        return services;
    }

    internal static ContentCipher Create(EncryptionOptions options, bool embedded, ILogger logger)
    {
        if (options.Keys.Count == 0)
        {
            if (embedded)
            {
                var ephemeral = ContentCipher.CreateEphemeral();
                LogEphemeral(logger, ephemeral.ActiveKeyId!);
                return ephemeral;
            }
            LogOff(logger);
            return ContentCipher.Disabled();
        }
        var keys = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        foreach (var (id, value) in options.Keys)
        {
            keys[id] = ContentKeyRing.TryDecodeKey(value, out var key)
                ? key
                : throw new OptionsValidationException(EncryptionOptions.SectionName, typeof(EncryptionOptions), [$"{EncryptionOptions.SectionName}:Keys:{id} is not a 256-bit key in base64."]);
        }
        var cipher = new ContentCipher(new ContentKeyRing(keys, options.ActiveKeyId), options.AllowUnencryptedReads);
        LogOn(logger, cipher.ActiveKeyId!, string.Join(", ", cipher.KeyIds.Order(StringComparer.Ordinal)), options.AllowUnencryptedReads);
        return cipher;
    }

    private sealed class EncryptionStartup(ContentCipher cipher) : Microsoft.Extensions.Hosting.IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken) => Task.FromResult(cipher.Enabled);

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }

    [LoggerMessage(1, LogLevel.Information, "Encryption at rest: AES-256-GCM, new writes with key '{ActiveKeyId}'; keys that can read: {KeyIds}; values in clear accepted on read: {AllowUnencryptedReads}.")]
    private static partial void LogOn(ILogger logger, string activeKeyId, string keyIds, bool allowUnencryptedReads);

    [LoggerMessage(2, LogLevel.Information, "Encryption at rest: embedded in-memory storage, encrypted with a random key '{KeyId}' made for this process (nothing outlives it).")]
    private static partial void LogEphemeral(ILogger logger, string keyId);

    [LoggerMessage(3, LogLevel.Warning, "Encryption at rest is OFF: Parley:Encryption:Keys is empty, so conversations, cached answers and batch files are written to Redis in clear. Set Parley:Encryption:Keys:<id> and Parley:Encryption:ActiveKeyId (docs/security.md).")]
    private static partial void LogOff(ILogger logger);
}
