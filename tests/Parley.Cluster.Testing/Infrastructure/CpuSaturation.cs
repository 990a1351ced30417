using System.Diagnostics;

namespace Parley.Cluster.Testing.Infrastructure;

/// <summary>Keeps every core of the machine busy, as other engineers' builds and tests do on a shared machine: one child
/// process per core spinning at normal priority, competing with the silos, Redis, the front end and the simulator for
/// the CPU. Dispose stops them at once. Each also watches its parent (this test host) and exits on its own within about
/// a tenth of a second when the host is gone, so not even a test host killed with SIGKILL leaves one behind.</summary>
public sealed class CpuSaturation : IAsyncDisposable
{
    // Shell arithmetic only (dash builtins): about a tenth of a second of one core per round, then a check that the parent lives.
    private const string SpinScript = "while kill -0 $PPID 2>/dev/null; do i=0; while [ $i -lt 100000 ]; do i=$((i+1)); done; done";

    private readonly List<Process> _processes = [];
    private readonly Stopwatch _elapsed = Stopwatch.StartNew();

    private CpuSaturation()
    {
    }

    /// <summary>Spinning processes still running.</summary>
    public int Running => _processes.Count(p => !p.HasExited);

    /// <summary>How long the cores have been kept busy.</summary>
    public TimeSpan Elapsed => _elapsed.Elapsed;

    /// <summary>Starts <paramref name="processes"/> spinning processes (default: one per core).</summary>
    public static CpuSaturation Start(int? processes = null)
    {
        var saturation = new CpuSaturation();
        try
        {
            for (var i = 0; i < (processes ?? Environment.ProcessorCount); i++)
            {
                var info = new ProcessStartInfo("/bin/sh") { UseShellExecute = false };
                info.ArgumentList.Add("-c");
                info.ArgumentList.Add(SpinScript);
                var process = Process.Start(info) ?? throw new InvalidOperationException("/bin/sh did not start.");
                ChildProcesses.Track(process);
                saturation._processes.Add(process);
            }
            return saturation;
        }
        catch
        {
            saturation.Stop();
            throw;
        }
    }

    public ValueTask DisposeAsync()
    {
        Stop();
        return ValueTask.CompletedTask;
    }

    private void Stop()
    {
        foreach (var process in _processes)
        {
            try
            {
                if (!process.HasExited)
                {
                    process.Kill();
                    process.WaitForExit(5_000);
                }
            }
            catch (InvalidOperationException)
            {
                // Already gone.
            }
            ChildProcesses.Untrack(process);
            process.Dispose();
        }
        _processes.Clear();
        _elapsed.Stop();
    }
}
