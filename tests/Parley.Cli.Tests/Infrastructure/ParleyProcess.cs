using System.Diagnostics;
using System.Text;
using Parley.Testing;

namespace Parley.Cli.Tests.Infrastructure;

/// <summary>Runs the real `parley` executable (the built parley.dll under `dotnet`) as a child process with its own
/// HOME, so profiles, keyring entries and files land in a temporary home. Nothing is a terminal: standard input,
/// output and error are pipes (the tmux tests give it a real one).</summary>
public sealed class ParleyProcess
{
    public const string NoSecretService = "unix:path=/nonexistent/parley-test-bus";

    public ParleyProcess(string home, string? dbusAddress = null)
    {
        Home = home;
        DbusAddress = dbusAddress;
    }

    public string Home { get; }

    /// <summary>The Secret Service's bus, or null for none (the keyring is then unusable).</summary>
    public string? DbusAddress { get; }

    public static string DllPath { get; } = FindDll();

    public static ParleyProcess WithTemporaryHome(string? dbusAddress = null) => new(TemporaryHome(), dbusAddress);

    public static string TemporaryHome()
    {
        var home = Path.Combine(Path.GetTempPath(), "parley-cli-test-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(home);
        return home;
    }

    public string ConfigDirectory => Path.Combine(Home, ".config", "parley");

    public ProcessStartInfo StartInfo(IEnumerable<string> args, string? workingDirectory = null)
    {
        var info = new ProcessStartInfo(BuiltAssemblies.DotnetHost())
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
            WorkingDirectory = workingDirectory ?? Home,
        };
        info.ArgumentList.Add(DllPath);
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }
        Environment(info.Environment);
        return info;
    }

    /// <summary>The child's environment: its own HOME and config folder; no profile or config override inherited.</summary>
    public void Environment(IDictionary<string, string?> environment)
    {
        environment["HOME"] = Home;
        environment.Remove("XDG_CONFIG_HOME");
        environment.Remove("PARLEY_CONFIG_DIR");
        environment.Remove("PARLEY_PROFILE");
        environment["DBUS_SESSION_BUS_ADDRESS"] = DbusAddress ?? NoSecretService;
        environment.Remove("DISPLAY");
        environment["DOTNET_NOLOGO"] = "1";
    }

    /// <summary>A /bin/sh command line that runs parley with this home's environment (for a terminal to start).</summary>
    public string ShellCommand(IEnumerable<string> args)
    {
        var environment = new Dictionary<string, string?>(StringComparer.Ordinal);
        Environment(environment);
        var line = new StringBuilder("env -u XDG_CONFIG_HOME -u PARLEY_CONFIG_DIR -u PARLEY_PROFILE -u DISPLAY");
        foreach (var (name, value) in environment.Where(e => e.Value is not null))
        {
            line.Append(' ').Append(Quote($"{name}={value}"));
        }
        line.Append(" dotnet ").Append(Quote(DllPath));
        foreach (var arg in args)
        {
            line.Append(' ').Append(Quote(arg));
        }
        return line.ToString();
    }

    private static string Quote(string value) => "'" + value.Replace("'", "'\\''", StringComparison.Ordinal) + "'";

    public async Task<CliResult> RunAsync(IEnumerable<string> args, string? stdin = null, TimeSpan? timeout = null, string? workingDirectory = null)
    {
        using var process = Process.Start(StartInfo(args, workingDirectory))!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        if (stdin is not null)
        {
            await process.StandardInput.WriteAsync(stdin);
        }
        process.StandardInput.Close();
        using var cancel = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(120));
        try
        {
            await process.WaitForExitAsync(cancel.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"parley {string.Join(' ', args)} did not finish: {await output}{await error}");
        }
        return new CliResult(process.ExitCode, await output, await error);
    }

    public Task<CliResult> RunAsync(params string[] args) => RunAsync(args, null);

    /// <summary>Logs in with <paramref name="key"/> on standard input (plaintext allowed when there is no keyring).</summary>
    public async Task LoginAsync(string server, string key, string? profile = null, bool allowPlaintext = true)
    {
        var args = new List<string> { "login", "--server", server };
        if (profile is not null)
        {
            args.AddRange(["--profile", profile]);
        }
        if (allowPlaintext)
        {
            args.Add("--allow-plaintext");
        }
        var result = await RunAsync(args, key + "\n");
        Assert.True(result.ExitCode == 0, result.ToString());
    }

    private static string FindDll()
    {
        var beside = Path.Combine(AppContext.BaseDirectory, "parley.dll");
        if (File.Exists(beside) && File.Exists(Path.Combine(AppContext.BaseDirectory, "parley.runtimeconfig.json")))
        {
            return beside;
        }
        return BuiltAssemblies.Path("cli", "parley");
    }
}

public sealed record CliResult(int ExitCode, string Output, string Error)
{
    public override string ToString() => $"exit {ExitCode}\nstdout: {Output}\nstderr: {Error}";
}
