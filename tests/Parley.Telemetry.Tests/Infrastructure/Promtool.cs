using System.Diagnostics;
using Parley.Testing;

namespace Parley.Telemetry.Tests.Infrastructure;

/// <summary>Runs Prometheus' <c>promtool</c> (Debian's <c>prometheus</c> package; test.sh installs it). A missing
/// promtool fails the test that needs it, loudly: these checks are never skipped.</summary>
public static class Promtool
{
    public static string Path => Executables.Find("promtool", "prometheus");

    /// <summary>Runs promtool with <paramref name="arguments"/> (and <paramref name="input"/> on stdin) and returns its
    /// exit code and everything it printed.</summary>
    public static async Task<(int ExitCode, string Output)> RunAsync(IEnumerable<string> arguments, string? input = null, string? workingDirectory = null)
    {
        var info = new ProcessStartInfo(Path)
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
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (input is not null)
        {
            await process.StandardInput.WriteAsync(input);
        }
        process.StandardInput.Close();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, (await stdout) + (await stderr));
    }
}
