using System.Text;
using Microsoft.Identity.Client.Extensions.Msal;
using Parley.Cli.Hosting;

namespace Parley.Cli.Secrets;

/// <summary>The OS keyring through MSAL's storage helper: the Secret Service (libsecret: GNOME Keyring, KWallet) on
/// Linux, the login Keychain on macOS, a DPAPI-encrypted file (readable only by this Windows user) on Windows. One
/// entry per profile. On Linux and macOS the library also touches an empty marker file beside config.json (no
/// secret in it).</summary>
public sealed class KeyringSecretStore(string configDirectory) : ISecretStore
{
    public const string LinuxSchema = "dev.parley.cli";
    public const string MacService = "Parley CLI";
    public const string ProfileAttribute = "parley_profile";
    private const string KindAttribute = "parley_secret";
    private const string KindValue = "credential";

    /// <summary>Checks the keyring works (writes and removes a test entry); throws <see cref="KeyringUnavailableException"/>.</summary>
    public void Verify()
    {
        try
        {
            Storage("verify").VerifyPersistence();
        }
        catch (Exception e) when (e is not CliException)
        {
            throw new KeyringUnavailableException(Describe(e), e);
        }
    }

    public string? Read(string profile)
    {
        var data = Run(() => Storage(profile).ReadData());
        return data is { Length: > 0 } ? Encoding.UTF8.GetString(data) : null;
    }

    public void Write(string profile, string secret) => Run(() =>
    {
        Storage(profile).WriteData(Encoding.UTF8.GetBytes(secret));
        return true;
    });

    public void Delete(string profile) => Run(() =>
    {
        Storage(profile).Clear(ignoreExceptions: false);
        return true;
    });

    private Storage Storage(string profile)
    {
        PrivateFiles.EnsureDirectory(configDirectory);
        var properties = new StorageCreationPropertiesBuilder($"{profile}.keyring-entry", configDirectory)
            .WithLinuxKeyring(LinuxSchema, MsalCacheHelper.LinuxKeyRingDefaultCollection, $"Parley CLI credential ({profile})",
                new KeyValuePair<string, string>(ProfileAttribute, profile), new KeyValuePair<string, string>(KindAttribute, KindValue))
            .WithMacKeyChain(MacService, profile)
            .Build();
        return Microsoft.Identity.Client.Extensions.Msal.Storage.Create(properties);
    }

    private static T Run<T>(Func<T> action)
    {
        try
        {
            return action();
        }
        catch (Exception e) when (e is not CliException)
        {
            throw new KeyringUnavailableException(Describe(e), e);
        }
    }

    private static string Describe(Exception e)
    {
        var inner = e;
        while (inner.InnerException is not null && inner is not DllNotFoundException)
        {
            inner = inner.InnerException;
        }
        return inner is DllNotFoundException
            ? "libsecret is not installed (on Debian/Ubuntu: apt-get install libsecret-1-0, with a Secret Service such as gnome-keyring)"
            : inner.Message.ReplaceLineEndings(" ");
    }
}

public sealed class KeyringUnavailableException(string reason, Exception inner)
    : CliException(ExitCodes.AuthError, $"the OS keyring is not usable: {reason}.", "keyring_unavailable")
{
    public string Reason { get; } = reason;

    public Exception Cause { get; } = inner;
}
