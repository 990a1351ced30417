namespace Parley.Bench;

internal static class Repository
{
    /// <summary>The checkout's root (the folder holding Cluster.sln), found upwards from the benchmark's binary.</summary>
    public static string Root()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Cluster.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("Cluster.sln not found above " + AppContext.BaseDirectory);
    }

    /// <summary>A project's built assembly in the benchmark's own configuration (bench/bin/&lt;Configuration&gt;/net10.0),
    /// e.g. <c>BuiltDll("sim", "Parley.Sim")</c>; the benchmark's project references build it first.</summary>
    public static string BuiltDll(string folder, string assembly)
    {
        var configuration = new DirectoryInfo(AppContext.BaseDirectory).Parent!.Name;
        return Path.Combine(Root(), folder, "bin", configuration, "net10.0", assembly + ".dll");
    }
}
