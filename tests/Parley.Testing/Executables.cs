namespace Parley.Testing;

/// <summary>Finds a tool the tests run as a process (promtool, locust, …) on PATH or in /usr/bin. A missing tool fails the
/// test that needs it, loudly, naming the Debian package test.sh installs it from: these checks are never skipped.</summary>
public static class Executables
{
    public static string Find(string name, string debianPackage)
    {
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator).Append("/usr/bin"))
        {
            var candidate = Path.Combine(dir, name);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }
        throw new InvalidOperationException($"{name} was not found on PATH: install Debian's '{debianPackage}' package (./test.sh installs it).");
    }
}
