using System.Diagnostics;

namespace Parley.Deploy.Tests.Infrastructure;

public sealed record ToolResult(int ExitCode, string StandardOutput, string StandardError)
{
    public string Output => StandardOutput + StandardError;
}

/// <summary>Runs the real tools the checks need (kubectl, node, promtool, systemd-analyze, dotnet). A missing tool fails
/// the test that needs it, loudly, with what installs it: these checks are never skipped.</summary>
public static class ExternalTool
{
    public static string Find(string name, string install)
    {
        var directories = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Append("/usr/local/bin").Append("/usr/bin").Append("/bin");
        foreach (var directory in directories)
        {
            var candidate = Path.Combine(directory, name);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }
        throw new InvalidOperationException($"{name} was not found on PATH: {install} (./test.sh installs it).");
    }

    /// <summary>Runs <paramref name="path"/> and returns its exit code and output; past <paramref name="timeout"/> the
    /// process (and what it started) is killed and the test fails.</summary>
    public static async Task<ToolResult> RunAsync(string path, IEnumerable<string> arguments, string? workingDirectory = null,
        TimeSpan? timeout = null, IReadOnlyDictionary<string, string>? environment = null)
    {
        var info = new ProcessStartInfo(path)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? AppContext.BaseDirectory,
        };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            info.Environment[name] = value;
        }
        using var process = Process.Start(info) ?? throw new InvalidOperationException($"{path} did not start.");
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        var limit = timeout ?? TimeSpan.FromSeconds(60);
        using var cancellation = new CancellationTokenSource(limit);
        try
        {
            await process.WaitForExitAsync(cancellation.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{Path.GetFileName(path)} {string.Join(' ', info.ArgumentList)} ran longer than {limit}:\n{await stdout}{await stderr}");
        }
        return new ToolResult(process.ExitCode, await stdout, await stderr);
    }
}
