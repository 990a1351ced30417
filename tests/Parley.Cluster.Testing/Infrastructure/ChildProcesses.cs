using System.Diagnostics;

namespace Parley.Cluster.Testing.Infrastructure;

/// <summary>Last resort: kills every silo process still running when the test host exits (an aborted or crashed
/// run), so no silo outlives the tests.</summary>
internal static class ChildProcesses
{
    private static readonly HashSet<Process> Running = [];

    static ChildProcesses() => AppDomain.CurrentDomain.ProcessExit += (_, _) => KillAll();

    public static void Track(Process process)
    {
        lock (Running)
        {
            Running.Add(process);
        }
    }

    public static void Untrack(Process process)
    {
        lock (Running)
        {
            Running.Remove(process);
        }
    }

    private static void KillAll()
    {
        Process[] processes;
        lock (Running)
        {
            processes = [.. Running];
        }
        foreach (var process in processes)
        {
            try
            {
                process.Kill(entireProcessTree: true);
            }
            catch (Exception ex) when (ex is InvalidOperationException or System.ComponentModel.Win32Exception)
            {
                // Already gone.
            }
        }
    }
}
