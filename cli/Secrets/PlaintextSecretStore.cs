namespace Parley.Cli.Secrets;

/// <summary>The fallback the user must ask for (<c>parley login --allow-plaintext</c>): one file per profile under
/// <c>credentials/</c> in the config directory, mode 0600 in a 0700 directory. Anyone who can read the user's files
/// can read the key.</summary>
public sealed class PlaintextSecretStore(string configDirectory) : ISecretStore
{
    public const string DirectoryName = "credentials";

    public string PathFor(string profile) => Path.Combine(configDirectory, DirectoryName, profile);

    public string? Read(string profile)
    {
        var path = PathFor(profile);
        return File.Exists(path) ? File.ReadAllText(path).Trim() : null;
    }

    public void Write(string profile, string secret)
    {
        PrivateFiles.EnsureDirectory(configDirectory);
        PrivateFiles.EnsureDirectory(Path.Combine(configDirectory, DirectoryName));
        PrivateFiles.WriteAllText(PathFor(profile), secret);
    }

    public void Delete(string profile)
    {
        var path = PathFor(profile);
        if (File.Exists(path))
        {
            File.Delete(path);
        }
    }
}
