using System.Diagnostics;
using System.Text;

namespace Parley.Cli.Tests.Infrastructure;

/// <summary>A real terminal for a CLI process: a private tmux server (its own socket, no user config) running one
/// window of a fixed size. Keys are typed with <c>send-keys</c> and the screen read with <c>capture-pane</c>; the
/// pane stays after the process exits, and the shell around it records its exit status. Debian's tmux (test.sh installs it); a
/// missing tmux fails the test.</summary>
public sealed class TmuxTerminal : IAsyncDisposable
{
    private const string Tmux = "/usr/bin/tmux";
    private readonly string _socket;
    private readonly string _statusFile;

    private TmuxTerminal(string socket)
    {
        _socket = socket;
        _statusFile = socket + ".status";
    }

    /// <summary>Starts <paramref name="command"/> (run by /bin/sh) in a new 160×50 terminal.</summary>
    public static async Task<TmuxTerminal> StartAsync(string command)
    {
        if (!File.Exists(Tmux))
        {
            throw new InvalidOperationException($"{Tmux} is missing: install tmux (./test.sh does).");
        }
        var terminal = new TmuxTerminal(Path.Combine(Path.GetTempPath(), "parley-tmux-" + Guid.NewGuid().ToString("N")[..12]));
        // The shell in the pane writes the status itself: tmux's own #{pane_dead_status} was not always filled in
        // here. Its INT trap is a handler, not SIG_IGN, so the process it starts gets Ctrl-C as usual, and the shell
        // outlives a Ctrl-C the process handles.
        var wrapped = $"trap : INT; {command}; echo $? > '{terminal._statusFile}'";
        await terminal.RunAsync("-f", "/dev/null", "new-session", "-d", "-x", "160", "-y", "50", "-s", "cli", wrapped);
        await terminal.RunAsync("set-option", "-t", "cli", "remain-on-exit", "on");
        return terminal;
    }

    /// <summary>Types <paramref name="keys"/>: literal text, or with <paramref name="literal"/> false tmux key
    /// names such as <c>Enter</c>, <c>C-c</c>, <c>C-d</c>.</summary>
    public Task SendAsync(string keys, bool literal = true)
        => literal ? RunAsync("send-keys", "-t", "cli", "-l", keys) : RunAsync("send-keys", "-t", "cli", keys);

    /// <summary>The visible screen and its scroll-back as plain text (no colours), lines joined as displayed.</summary>
    public Task<string> ScreenAsync() => RunAsync("capture-pane", "-t", "cli", "-p", "-J", "-S", "-200");

    /// <summary>The exit status once the process has ended, else null.</summary>
    public async Task<int?> ExitStatusAsync()
    {
        var status = File.Exists(_statusFile) ? (await File.ReadAllTextAsync(_statusFile)).Trim() : "";
        return status.Length > 0 ? int.Parse(status, System.Globalization.CultureInfo.InvariantCulture) : null;
    }

    /// <summary>Polls the screen until <paramref name="condition"/> holds; fails with the screen after the timeout.</summary>
    public async Task<string> WaitForAsync(Func<string, bool> condition, string what, TimeSpan? timeout = null)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            var screen = await ScreenAsync();
            if (condition(screen))
            {
                return screen;
            }
            if (deadline.Elapsed > (timeout ?? TimeSpan.FromSeconds(60)))
            {
                throw new TimeoutException($"the terminal never showed {what}; screen:\n{screen}");
            }
            await Task.Delay(50);
        }
    }

    public async Task WaitForExitAsync(TimeSpan timeout)
    {
        var deadline = Stopwatch.StartNew();
        while (await ExitStatusAsync() is null)
        {
            if (deadline.Elapsed > timeout)
            {
                throw new TimeoutException("the process in the terminal did not exit; screen:\n" + await ScreenAsync());
            }
            await Task.Delay(50);
        }
    }

    private async Task<string> RunAsync(params string[] args)
    {
        var info = new ProcessStartInfo(Tmux)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8,
        };
        info.ArgumentList.Add("-S");
        info.ArgumentList.Add(_socket);
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }
        info.Environment.Remove("TMUX");
        info.Environment["TERM"] = "xterm-256color";
        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"tmux {string.Join(' ', args)} failed ({process.ExitCode}): {await error}");
        }
        return await output;
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await RunAsync("kill-server");
        }
        catch (InvalidOperationException)
        {
            // The server already ended.
        }
        File.Delete(_socket);
        File.Delete(_statusFile);
    }
}
