using System.CommandLine;

namespace Parley.Cli.Hosting;

/// <summary>Options every command takes.</summary>
public static class GlobalOptions
{
    public static Option<bool> Json { get; } = new("--json")
    {
        Description = "Write the result as JSON on standard output (errors as JSON on standard error), for scripts.",
        Recursive = true,
    };

    public static Option<string> Profile { get; } = new("--profile", "-p")
    {
        Description = "The profile to use (default: PARLEY_PROFILE, else the default profile).",
        Recursive = true,
    };
}
