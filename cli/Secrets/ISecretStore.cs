namespace Parley.Cli.Secrets;

/// <summary>Where a profile's credential lives. Never an environment variable or command-line argument.</summary>
public interface ISecretStore
{
    /// <summary>The stored secret, or null when there is none.</summary>
    string? Read(string profile);

    void Write(string profile, string secret);

    /// <summary>Removes the secret; nothing happens when there is none.</summary>
    void Delete(string profile);
}

public static class SecretStoreKinds
{
    public const string Keyring = "keyring";
    public const string Plaintext = "plaintext";
}

public static class SecretStores
{
    public static ISecretStore For(string kind, string configDirectory) => kind switch
    {
        SecretStoreKinds.Keyring => new KeyringSecretStore(configDirectory),
        SecretStoreKinds.Plaintext => new PlaintextSecretStore(configDirectory),
        _ => throw new Hosting.CliException(Hosting.ExitCodes.UsageError, $"unknown secret store '{kind}' in config.json."),
    };
}
