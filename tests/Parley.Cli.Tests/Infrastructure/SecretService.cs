using System.Diagnostics;

namespace Parley.Cli.Tests.Infrastructure;

/// <summary>A real Secret Service for the keyring tests: a private D-Bus session (<c>dbus-run-session</c>) with
/// <c>gnome-keyring-daemon</c> on it, its login keyring created and unlocked, everything under a temporary HOME.
/// Debian's dbus, gnome-keyring and libsecret-tools (test.sh installs them); missing ones fail the test.</summary>
public sealed class SecretService : IAsyncDisposable
{
    private readonly Process _session;

    private SecretService(Process session, string home, string busAddress)
    {
        _session = session;
        Home = home;
        BusAddress = busAddress;
    }

    public string Home { get; }

    public string BusAddress { get; }

    public static async Task<SecretService> StartAsync(string home)
    {
        foreach (var tool in new[] { "dbus-run-session", "gnome-keyring-daemon", "secret-tool" })
        {
            if (!File.Exists(Path.Combine("/usr/bin", tool)))
            {
                throw new InvalidOperationException($"/usr/bin/{tool} is missing: install dbus, gnome-keyring and libsecret-tools (./test.sh does).");
            }
        }
        var info = new ProcessStartInfo("dbus-run-session")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        // The daemon reads the new keyring's password on standard input; `exec cat` keeps the session alive until
        // the test closes our end of the pipe.
        foreach (var arg in new[] { "--", "sh", "-c",
            "printf test-keyring-password | gnome-keyring-daemon --unlock --components=secrets >/dev/null && echo \"$DBUS_SESSION_BUS_ADDRESS\" && exec cat" })
        {
            info.ArgumentList.Add(arg);
        }
        info.Environment["HOME"] = home;
        info.Environment.Remove("DBUS_SESSION_BUS_ADDRESS");
        info.Environment.Remove("DISPLAY");
        // The daemon's control socket lives beside HOME, not in it: HOME holds only files.
        info.Environment["XDG_RUNTIME_DIR"] = home.TrimEnd('/') + "-runtime";
        Directory.CreateDirectory(info.Environment["XDG_RUNTIME_DIR"]!, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var session = Process.Start(info)!;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        var address = await session.StandardOutput.ReadLineAsync(timeout.Token);
        if (string.IsNullOrEmpty(address))
        {
            var error = await session.StandardError.ReadToEndAsync(timeout.Token);
            throw new InvalidOperationException("the Secret Service did not start: " + error);
        }
        return new SecretService(session, home, address);
    }

    /// <summary>What <c>secret-tool lookup</c> finds for the attributes, or null when nothing (exit status 1).</summary>
    public async Task<string?> LookupAsync(params string[] attributes)
    {
        var info = new ProcessStartInfo("secret-tool") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add("lookup");
        foreach (var attribute in attributes)
        {
            info.ArgumentList.Add(attribute);
        }
        info.Environment["HOME"] = Home;
        info.Environment["DBUS_SESSION_BUS_ADDRESS"] = BusAddress;
        using var process = Process.Start(info)!;
        var output = await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        return process.ExitCode == 0 ? output : null;
    }

    public async ValueTask DisposeAsync()
    {
        _session.StandardInput.Close();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        try
        {
            await _session.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            _session.Kill(entireProcessTree: true);
        }
        _session.Dispose();
    }
}
