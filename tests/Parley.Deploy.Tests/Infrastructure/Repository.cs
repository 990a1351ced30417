namespace Parley.Deploy.Tests.Infrastructure;

/// <summary>The repository these tests run from: the deployment files are checked where they are, and the Dockerfiles'
/// builds copy their sources from it as Docker would from the build context.</summary>
public static class Repository
{
    public static string Root { get; } = FindRoot();

    public static string PathOf(params string[] parts) => Path.Combine([Root, .. parts]);

    private static string FindRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Cluster.sln")))
            {
                return directory.FullName;
            }
        }
        throw new InvalidOperationException($"No Cluster.sln above {AppContext.BaseDirectory}: these tests run from the repository's build output.");
    }
}
