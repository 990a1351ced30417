using System.Diagnostics;
using System.Reflection;
using System.Text;
using System.Text.RegularExpressions;

namespace Parley.Cluster.Tests.Infrastructure;

/// <summary>A silo as a real child process (<c>dotnet Parley.Silo.dll</c>), exactly as it is deployed, listening on
/// a loopback port the OS chooses. Killing it is a crash (no graceful leave). Dispose always kills it.</summary>
public sealed partial class SiloProcess : IAsyncDisposable
{
    private const int OutputLinesKept = 200;
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(45);

    private readonly Process _process;
    private readonly Queue<string> _output = new();
    private readonly TaskCompletionSource<string> _listening = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private SiloProcess(Process process) => _process = process;

    /// <summary>The silo's root URL without a trailing slash, e.g. http://127.0.0.1:40123.</summary>
    public string Url { get; private set; } = "";

    public int ProcessId => _process.Id;

    public bool HasExited => _process.HasExited;

    /// <summary>The last lines the silo wrote, for failure messages.</summary>
    public string Output
    {
        get
        {
            lock (_output)
            {
                return string.Join('\n', _output);
            }
        }
    }

    public static async Task<SiloProcess> StartAsync(IReadOnlyDictionary<string, string> environment)
    {
        var dll = SiloAssemblyPath();
        var info = new ProcessStartInfo(DotnetHost())
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = false,
            // The silo's own folder, as in a container: its appsettings.json is found, then the variables override it.
            WorkingDirectory = Path.GetDirectoryName(dll)!,
        };
        info.ArgumentList.Add(dll);
        info.ArgumentList.Add("--urls");
        info.ArgumentList.Add("http://127.0.0.1:0");
        foreach (var (name, value) in environment)
        {
            info.Environment[name] = value;
        }
        // "Now listening on" is how the test learns the port the OS chose.
        info.Environment["Logging__LogLevel__Microsoft.Hosting.Lifetime"] = "Information";

        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        var silo = new SiloProcess(process);
        process.OutputDataReceived += (_, e) => silo.OnOutput(e.Data);
        process.ErrorDataReceived += (_, e) => silo.OnOutput(e.Data);
        process.Exited += (_, _) => silo._listening.TrySetException(new InvalidOperationException("The silo exited during startup."));
        process.Start();
        ChildProcesses.Track(process);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            silo.Url = (await silo._listening.Task.WaitAsync(StartTimeout)).TrimEnd('/');
        }
        catch (Exception ex)
        {
            await silo.DisposeAsync();
            throw new InvalidOperationException($"Silo process did not start listening: {ex.Message}\n{silo.Output}", ex);
        }
        return silo;
    }

    /// <summary>Kills the process at once, like a crash or an OOM kill: no drain, no membership leave.</summary>
    public void Kill()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit(10_000);
            }
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }
    }

    public ValueTask DisposeAsync()
    {
        Kill();
        ChildProcesses.Untrack(_process);
        _process.Dispose();
        return ValueTask.CompletedTask;
    }

    private void OnOutput(string? line)
    {
        if (line is null)
        {
            return;
        }
        lock (_output)
        {
            _output.Enqueue(line);
            if (_output.Count > OutputLinesKept)
            {
                _output.Dequeue();
            }
        }
        var match = ListeningPattern().Match(line);
        if (match.Success)
        {
            _listening.TrySetResult(match.Groups[1].Value);
        }
    }

    /// <summary>silo/bin/&lt;Configuration&gt;/net10.0/Parley.Silo.dll, next to this test assembly's own build: the
    /// test project references the silo project (without its assembly) so it is built first.</summary>
    private static string SiloAssemblyPath()
    {
        var configuration = typeof(SiloProcess).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Debug";
        var framework = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar)).Name;
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Cluster.sln")))
            {
                var path = Path.Combine(dir.FullName, "silo", "bin", configuration, framework, "Parley.Silo.dll");
                return File.Exists(path) ? path : throw new FileNotFoundException($"Build the silo first (dotnet build silo -c {configuration}).", path);
            }
        }
        throw new DirectoryNotFoundException($"Cluster.sln not found above {AppContext.BaseDirectory}.");
    }

    // The dotnet that runs this test run (MSBuild and `dotnet test` set DOTNET_HOST_PATH), else the one on PATH.
    private static string DotnetHost()
    {
        var hostPath = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH");
        if (!string.IsNullOrEmpty(hostPath) && File.Exists(hostPath))
        {
            return hostPath;
        }
        var processPath = Environment.ProcessPath;
        return processPath is not null && Path.GetFileNameWithoutExtension(processPath) == "dotnet" ? processPath : "dotnet";
    }

    [GeneratedRegex(@"Now listening on: (http://\S+)")]
    private static partial Regex ListeningPattern();
}
