namespace Parley.Testing;

/// <summary>Where the tests find what they run as processes: the checkout's projects built in this test run's own
/// configuration (a test project references them without their assemblies, so they are built first), and the
/// <c>dotnet</c> that runs this test run.</summary>
public static class BuiltAssemblies
{
    /// <summary>The checkout's root (the folder holding Cluster.sln), found upwards from the test's binary.</summary>
    public static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(System.IO.Path.Combine(dir.FullName, "Cluster.sln")))
            {
                return dir.FullName;
            }
        }
        throw new DirectoryNotFoundException($"Cluster.sln not found above {AppContext.BaseDirectory}.");
    }

    /// <summary><c>&lt;folder&gt;/bin/&lt;Configuration&gt;/&lt;framework&gt;/&lt;assembly&gt;.dll</c> in the test's own configuration
    /// and framework (its binary's folders, bin/Configuration/framework); throws when it was not built.</summary>
    public static string Path(string folder, string assembly)
    {
        var framework = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(System.IO.Path.DirectorySeparatorChar));
        var configuration = framework.Parent!.Name;
        var path = System.IO.Path.Combine(RepositoryRoot(), folder, "bin", configuration, framework.Name, assembly + ".dll");
        return File.Exists(path) ? path : throw new FileNotFoundException($"Build {folder} first (dotnet build {folder} -c {configuration}).", path);
    }

    /// <summary>The dotnet that runs this test run (MSBuild and <c>dotnet test</c> set DOTNET_HOST_PATH), else the one on
    /// PATH.</summary>
    public static string DotnetHost()
    {
        var hostPath = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH");
        if (!string.IsNullOrEmpty(hostPath) && File.Exists(hostPath))
        {
            return hostPath;
        }
        var processPath = Environment.ProcessPath;
        return processPath is not null && System.IO.Path.GetFileNameWithoutExtension(processPath) == "dotnet" ? processPath : "dotnet";
    }
}
