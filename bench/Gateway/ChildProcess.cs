using System.Diagnostics;

namespace Parley.Bench.Gateway;

/// <summary>One of the measured servers (simulator, silo, front end), run as its own process so that the load
/// generator does not share a runtime, a thread pool or a garbage collector with what it measures.</summary>
internal sealed class ChildProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly string _logPath;

    private ChildProcess(Process process, string logPath, Uri baseAddress)
    {
        _process = process;
        _logPath = logPath;
        BaseAddress = baseAddress;
    }

    public Uri BaseAddress { get; }

    public int ProcessId => _process.Id;

    public static async Task<ChildProcess> StartAsync(string name, string dllPath, int port, IReadOnlyDictionary<string, string> environment, string readyPath)
    {
        if (!File.Exists(dllPath))
        {
            throw new FileNotFoundException($"{name}: {dllPath} not found; build the solution first (dotnet build -c Release).", dllPath);
        }

        var url = $"http://127.0.0.1:{port}";
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(dllPath);
        info.ArgumentList.Add("--urls");
        info.ArgumentList.Add(url);
        info.Environment["DOTNET_gcServer"] = "0";
        info.Environment["Logging__LogLevel__Default"] = "Warning";
        foreach (var (key, value) in environment)
        {
            info.Environment[key] = value;
        }

        var logPath = Path.Combine(Path.GetTempPath(), $"parley-bench-{name}-{port}.log");
        var process = Process.Start(info) ?? throw new InvalidOperationException($"could not start {name}");
        var log = new StreamWriter(logPath) { AutoFlush = true };
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) { lock (log) { log.WriteLine(e.Data); } } };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) { lock (log) { log.WriteLine(e.Data); } } };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        var child = new ChildProcess(process, logPath, new Uri(url));
        await child.WaitUntilReadyAsync(name, readyPath);
        return child;
    }

    /// <summary>CPU time (user + kernel) a process has used so far.</summary>
    public static TimeSpan CpuTime(int processId)
    {
        using var process = Process.GetProcessById(processId);
        return process.TotalProcessorTime;
    }

    /// <summary>The process's peak resident set (VmHWM), in bytes.</summary>
    public long PeakWorkingSetBytes() => PeakWorkingSetBytes(_process.Id);

    /// <summary>A process's peak resident set (VmHWM) from /proc, in bytes.</summary>
    public static long PeakWorkingSetBytes(int processId)
    {
        foreach (var line in File.ReadLines($"/proc/{processId}/status"))
        {
            if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
            {
                var kb = long.Parse(line.AsSpan(6).Trim().TrimEnd("kB").Trim(), System.Globalization.CultureInfo.InvariantCulture);
                return kb * 1024;
            }
        }

        return 0;
    }

    private async Task WaitUntilReadyAsync(string name, string readyPath)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"{name} exited with {_process.ExitCode}; see {_logPath}");
            }

            try
            {
                using var response = await http.GetAsync(new Uri(BaseAddress, readyPath));
                if ((int)response.StatusCode < 500)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
            }
            catch (TaskCanceledException)
            {
            }

            await Task.Delay(100);
        }

        throw new TimeoutException($"{name} did not become ready in 60 s; see {_logPath}");
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
    }
}
