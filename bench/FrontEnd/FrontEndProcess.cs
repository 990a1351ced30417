using System.Diagnostics;
using System.Globalization;
using Parley.ClientApi.Hosting;

namespace Parley.Bench.FrontEnd;

/// <summary>The front end (client-api's Release build) as its own process in static-list mode, so it has its own
/// runtime and its CPU time can be read from /proc.</summary>
internal sealed class FrontEndProcess : IAsyncDisposable
{
    private readonly Process _process;

    private FrontEndProcess(Process process, string url, string logPath)
    {
        _process = process;
        Url = url;
        LogPath = logPath;
    }

    public string Url { get; }

    public string LogPath { get; }

    public static async Task<FrontEndProcess> StartAsync(string dllPath, int port, string siloUrl, SiloProtocol protocol)
    {
        if (!File.Exists(dllPath))
        {
            throw new FileNotFoundException($"{dllPath} not found; run the benchmark with dotnet run -c Release --project bench (it builds client-api).", dllPath);
        }
        var url = $"http://127.0.0.1:{port}";
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(dllPath);
        info.ArgumentList.Add("--urls");
        info.ArgumentList.Add(url);
        info.Environment["Parley__FrontEnd__Silos__0"] = siloUrl;
        info.Environment["Parley__FrontEnd__SiloProtocol"] = protocol.ToString();
        info.Environment["Logging__LogLevel__Default"] = "Warning";
        var logPath = Path.Combine(Path.GetTempPath(), $"parley-bench-frontend-{port}.log");
        var process = Process.Start(info) ?? throw new InvalidOperationException("could not start the front end");
        var log = new StreamWriter(logPath) { AutoFlush = true };
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) { lock (log) { log.WriteLine(e.Data); } } };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) { lock (log) { log.WriteLine(e.Data); } } };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var frontEnd = new FrontEndProcess(process, url, logPath);
        await frontEnd.WaitUntilReadyAsync();
        return frontEnd;
    }

    /// <summary>CPU time the process has used so far: in its own code (user) and in the kernel (system).</summary>
    public (TimeSpan User, TimeSpan System) CpuTime()
    {
        _process.Refresh();
        return (_process.UserProcessorTime, _process.PrivilegedProcessorTime);
    }

    public long PeakWorkingSetBytes()
    {
        foreach (var line in File.ReadLines($"/proc/{_process.Id}/status"))
        {
            if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
            {
                return long.Parse(line.AsSpan(6).Trim().TrimEnd("kB").Trim(), CultureInfo.InvariantCulture) * 1024;
            }
        }
        return _process.PeakWorkingSet64;
    }

    private async Task WaitUntilReadyAsync()
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"the front end exited with {_process.ExitCode}; see {LogPath}");
            }
            try
            {
                // Ready once it knows its silo and a request goes through.
                using var response = await http.GetAsync(Url + "/health/ready");
                if (response.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
            {
            }
            await Task.Delay(100);
        }
        throw new TimeoutException($"the front end was not ready in 60 s; see {LogPath}");
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
