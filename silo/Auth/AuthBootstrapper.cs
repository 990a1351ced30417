using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Parley.Silo.Auth.Store;
using Parley.ServiceDefaults.Logging;

namespace Parley.Silo.Auth;

/// <summary>On the first start of a store, creates the admin key (unless one is configured) and a user "default" with
/// a key, and announces them once. The store's bootstrap claim (SET NX on Redis) makes silos that start together
/// bootstrap exactly once. Runs before the server accepts requests.</summary>
internal sealed partial class AuthBootstrapper(
    IIdentityStore store,
    IdentityManager identities,
    IBootstrapAnnouncer announcer,
    IOptions<AuthOptions> options,
    ILogger<AuthBootstrapper> logger) : IHostedService
{
    public const string DefaultUserName = "default";
    public const string AdminKeyName = "bootstrap-admin";

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var settings = options.Value;
        var adminConfigured = !string.IsNullOrEmpty(settings.AdminKey);
        var userKeyConfigured = !string.IsNullOrEmpty(settings.BootstrapUserKey);
        if (adminConfigured && !userKeyConfigured)
        {
            // With a fixed admin key the operator creates users through the admin API.
            LogUsingConfiguredAdminKey(logger);
            return;
        }
        if (!await store.TryClaimBootstrapAsync($"{Environment.MachineName}:{Environment.ProcessId}", cancellationToken))
        {
            LogAlreadyBootstrapped(logger);
            return;
        }

        string? adminSecret = null;
        if (!adminConfigured)
        {
            (_, _, adminSecret, _) = await identities.CreateKeyAsync(userId: null, AdminKeyName, cancellationToken);
        }
        var user = await identities.CreateUserAsync(DefaultUserName, cancellationToken);
        var (result, key, userSecret, _) = await identities.CreateKeyAsync(user.Id, DefaultUserName, cancellationToken,
            userKeyConfigured ? settings.BootstrapUserKey : null);
        if (result != CreateKeyResult.Created)
        {
            LogBootstrapUserKeyRefused(logger, result.ToString());
        }

        announcer.Announce(new BootstrapCredentials(adminSecret, user.Id, user.Name, userKeyConfigured ? null : userSecret));
        LogBootstrapped(logger, user.Id, key?.Id ?? "(none)", !adminConfigured);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(EventId = 2101, Level = LogLevel.Information, Message = "Authentication uses the configured admin key; no bootstrap")]
    private static partial void LogUsingConfiguredAdminKey(ILogger logger);

    [LoggerMessage(EventId = 2102, Level = LogLevel.Information, Message = "Identity store already bootstrapped; no credentials created")]
    private static partial void LogAlreadyBootstrapped(ILogger logger);

    [LoggerMessage(EventId = 2103, Level = LogLevel.Warning, Message = "Bootstrapped the identity store: user {UserId} with key {KeyId}, admin key generated: {AdminKeyGenerated}. The credentials were printed to standard output once")]
    private static partial void LogBootstrapped(ILogger logger, [PseudonymousId] string userId, [PseudonymousId] string keyId, bool adminKeyGenerated);

    [LoggerMessage(EventId = 2104, Level = LogLevel.Error, Message = "The bootstrap user's key was refused by the store ({Result})")]
    private static partial void LogBootstrapUserKeyRefused(ILogger logger, string result);
}
