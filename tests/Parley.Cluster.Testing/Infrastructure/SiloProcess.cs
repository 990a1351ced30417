using System.Diagnostics;
using System.Net;
using System.Runtime.InteropServices;
using Parley.ClientApi.Membership;
using Parley.Testing;
using Parley.Testing.Logs;

namespace Parley.Cluster.Testing.Infrastructure;

/// <summary>A silo as a real child process (<c>dotnet Parley.Silo.dll</c>), exactly as it is deployed, on its own
/// loopback address. <see cref="Kill"/> is a crash (SIGKILL: no drain, no membership leave), <see cref="Terminate"/> a
/// graceful stop (SIGTERM, as Kubernetes sends). Dispose always kills it.</summary>
public sealed partial class SiloProcess : IAsyncDisposable
{
    private const int OutputLinesKept = 300;
    private const int SigTerm = 15;
    private static readonly TimeSpan ReadyTimeout = TimeSpan.FromSeconds(60);

    private readonly Process _process;
    private readonly Queue<string> _output = new();
    // Its console log, for the whole-run scan for secrets (tests/Parley.LogScan); null unless test.sh asks for it.
    private readonly TestLogFiles.Sink? _capture = TestLogFiles.ForProcess("silo");
    private readonly TaskCompletionSource _listening = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private SiloProcess(Process process, IPAddress address, string url, string frontEndUrl)
    {
        _process = process;
        Address = address;
        Url = url;
        FrontEndUrl = frontEndUrl;
    }

    public IPAddress Address { get; }

    /// <summary>The silo's root URL without a trailing slash, e.g. http://127.0.0.2:40123.</summary>
    public string Url { get; }

    /// <summary>Where the front end sends this silo's requests (its destination address, derived as the front end
    /// derives it): the HTTP/2 port when the silo has one, else <see cref="Url"/>'s port.</summary>
    public string FrontEndUrl { get; }

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

    /// <summary>Starts the silo and waits until it serves: Kestrel listens only once Orleans has joined the cluster, and
    /// then <c>/health/ready</c> answers.</summary>
    /// <param name="listening">Told as soon as the silo has joined and listens, before its readiness is confirmed.</param>
    public static async Task<SiloProcess> StartAsync(IPAddress address, ClusterPorts ports, IReadOnlyDictionary<string, string> environment,
        Action? listening = null)
    {
        var dll = BuiltAssemblies.Path("silo", "Parley.Silo");
        var url = $"http://{address}:{ports.Http}";
        var info = new ProcessStartInfo(BuiltAssemblies.DotnetHost())
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            // The silo's own folder, as in a container: its appsettings.json is found, then the variables override it.
            WorkingDirectory = Path.GetDirectoryName(dll)!,
        };
        info.ArgumentList.Add(dll);
        info.ArgumentList.Add("--urls");
        info.ArgumentList.Add(url);
        foreach (var (name, value) in environment)
        {
            info.Environment[name] = value;
        }
        info.Environment["Parley__Cluster__AdvertisedAddress"] = address.ToString();
        info.Environment["Parley__Cluster__SiloPort"] = ports.Silo.ToString(System.Globalization.CultureInfo.InvariantCulture);
        info.Environment["Parley__Cluster__GatewayPort"] = ports.Gateway.ToString(System.Globalization.CultureInfo.InvariantCulture);
        if (ports.Metrics > 0)
        {
            info.Environment["Parley__Telemetry__Metrics__Port"] = ports.Metrics.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }
        if (ports.FrontEndHttp2 > 0)
        {
            info.Environment["Parley__Cluster__FrontEndHttp2Port"] = ports.FrontEndHttp2.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }
        // "Now listening on" says Orleans has joined (the host starts Kestrel after the silo).
        info.Environment["Logging__LogLevel__Microsoft.Hosting.Lifetime"] = "Information";

        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        var silo = new SiloProcess(process, address, url, SiloAddresses.BaseUrl(address, ports.FrontEndPort));
        process.OutputDataReceived += (_, e) => silo.OnOutput(e.Data);
        process.ErrorDataReceived += (_, e) => silo.OnOutput(e.Data);
        if (listening is not null)
        {
            _ = silo._listening.Task.ContinueWith(static (t, state) => ((Action)state!)(), listening, CancellationToken.None,
                TaskContinuationOptions.OnlyOnRanToCompletion, TaskScheduler.Default);
        }
        process.Exited += (_, _) => silo._listening.TrySetException(new InvalidOperationException($"The silo exited with code {process.ExitCode}."));
        process.Start();
        ChildProcesses.Track(process);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            await silo.WaitUntilReadyAsync();
        }
        catch (Exception ex)
        {
            await silo.DisposeAsync();
            throw new InvalidOperationException($"Silo {url} did not become ready: {ex.Message}\n{silo.Output}", ex);
        }
        return silo;
    }

    private async Task WaitUntilReadyAsync()
    {
        var deadline = Stopwatch.StartNew();
        await _listening.Task.WaitAsync(ReadyTimeout);
        // Generous per probe: a silo that just joined a loaded cluster may be slow to answer, and slow is not down.
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        while (true)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"The silo exited with code {_process.ExitCode}.");
            }
            try
            {
                using var ready = await http.GetAsync(Url + "/health/ready");
                if (ready.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                // Not listening yet.
            }
            if (deadline.Elapsed > ReadyTimeout)
            {
                throw new TimeoutException($"Not ready after {ReadyTimeout}.");
            }
            await Task.Delay(100);
        }
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

    /// <summary>Asks the process to stop, as Kubernetes does (SIGTERM); the silo drains and leaves.</summary>
    public void Terminate()
    {
        if (!_process.HasExited && SendSignal(_process.Id, SigTerm) != 0)
        {
            throw new InvalidOperationException($"kill({_process.Id}, SIGTERM) failed: errno {Marshal.GetLastPInvokeError()}.");
        }
    }

    public Task WaitForExitAsync(TimeSpan timeout) => _process.WaitForExitAsync().WaitAsync(timeout);

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
        _capture?.WriteLine(line);
        lock (_output)
        {
            _output.Enqueue(line);
            if (_output.Count > OutputLinesKept)
            {
                _output.Dequeue();
            }
        }
        if (line.Contains("Now listening on:", StringComparison.Ordinal))
        {
            _listening.TrySetResult();
        }
    }

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int SendSignal(int pid, int signal);
}
