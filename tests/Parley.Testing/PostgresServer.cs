using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace Parley.Testing;

/// <summary>A real PostgreSQL server (Debian's) for tests: <c>initdb</c> into a fresh temporary directory, started with
/// <c>pg_ctl</c> on a free loopback port with its Unix socket in that directory, trust authentication for the role
/// <see cref="User"/>. It can be stopped and started again on the same port and data (to test an outage). PostgreSQL
/// refuses to run as root: under root the server runs as Debian's <c>postgres</c> user (via <c>runuser</c>), which owns
/// the directory. A missing installation fails loudly (test.sh installs the <c>postgresql</c> package).</summary>
public sealed class PostgresServer : IAsyncDisposable
{
    public const string User = "parley";
    private const string DebianPackage = "postgresql";
    private const int StartAttempts = 3;

    private readonly string _bin;
    private readonly string _directory;
    private int _disposed;

    private PostgresServer(string bin, string directory, int port)
    {
        _bin = bin;
        _directory = directory;
        Port = port;
    }

    public int Port { get; }

    /// <summary>True between a start and a stop.</summary>
    public bool IsRunning { get; private set; }

    /// <summary>An Npgsql connection string; short timeouts, so a stopped server is noticed quickly.</summary>
    public string ConnectionString => string.Create(CultureInfo.InvariantCulture,
        $"Host=127.0.0.1;Port={Port};Username={User};Database=postgres;Timeout=3;Command Timeout=15;Pooling=true;Maximum Pool Size=20");

    public static async Task<PostgresServer> StartAsync(CancellationToken cancellationToken = default)
    {
        var bin = FindBinDirectory();
        Exception? last = null;
        for (var attempt = 0; attempt < StartAttempts; attempt++)
        {
            var directory = Directory.CreateTempSubdirectory("parley-pg-").FullName;
            var server = new PostgresServer(bin, directory, FreePort.Next());
            try
            {
                await server.InitAsync(cancellationToken).ConfigureAwait(false);
                await server.StartAgainAsync(cancellationToken).ConfigureAwait(false);
                return server;
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                last = e;
                await server.DisposeAsync().ConfigureAwait(false);
            }
        }
        throw new InvalidOperationException($"PostgreSQL did not start after {StartAttempts} attempts.", last);
    }

    /// <summary>Starts the server (again) on its port and data.</summary>
    public async Task StartAgainAsync(CancellationToken cancellationToken = default)
    {
        var options = string.Create(CultureInfo.InvariantCulture,
            $"-p {Port} -k {_directory} -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off -c max_connections=50");
        await RunAsync("pg_ctl", ["-D", DataDirectory, "-l", Path.Combine(_directory, "server.log"), "-w", "-t", "60", "-o", options, "start"], cancellationToken)
            .ConfigureAwait(false);
        IsRunning = true;
    }

    /// <summary>Stops the server (fast shutdown: open connections are cut), keeping its data.</summary>
    public async Task StopAsync(CancellationToken cancellationToken = default)
    {
        await RunAsync("pg_ctl", ["-D", DataDirectory, "-m", "fast", "-w", "-t", "60", "stop"], cancellationToken).ConfigureAwait(false);
        IsRunning = false;
    }

    /// <summary>The server's log (for a failing test's message).</summary>
    public string ReadLog()
    {
        var path = Path.Combine(_directory, "server.log");
        return File.Exists(path) ? File.ReadAllText(path) : "";
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }
        if (IsRunning)
        {
            try
            {
                await RunAsync("pg_ctl", ["-D", DataDirectory, "-m", "immediate", "-w", "-t", "30", "stop"], CancellationToken.None).ConfigureAwait(false);
            }
            catch (InvalidOperationException)
            {
                // Already gone.
            }
            IsRunning = false;
        }
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    private string DataDirectory => Path.Combine(_directory, "data");

    private async Task InitAsync(CancellationToken cancellationToken)
    {
        if (Environment.IsPrivilegedProcess)
        {
            await RunProcessAsync("chown", ["-R", "postgres:postgres", _directory], cancellationToken).ConfigureAwait(false);
        }
        await RunAsync("initdb", ["-D", DataDirectory, "-U", User, "-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync"], cancellationToken)
            .ConfigureAwait(false);
    }

    private Task RunAsync(string tool, IReadOnlyList<string> arguments, CancellationToken cancellationToken)
    {
        var path = Path.Combine(_bin, tool);
        if (!Environment.IsPrivilegedProcess)
        {
            return RunProcessAsync(path, arguments, cancellationToken);
        }
        // PostgreSQL will not run as root; Debian's package creates the postgres user.
        return RunProcessAsync(Executables.Find("runuser", "util-linux"), ["-u", "postgres", "--", path, .. arguments], cancellationToken);
    }

    private static async Task RunProcessAsync(string path, IReadOnlyList<string> arguments, CancellationToken cancellationToken)
    {
        var info = new ProcessStartInfo(path)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = Path.GetTempPath(),
        };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }
        using var process = Process.Start(info) ?? throw new InvalidOperationException($"{path} did not start.");
        var output = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var error = process.StandardError.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException(new StringBuilder().Append(Path.GetFileName(path)).Append(' ').AppendJoin(' ', arguments)
                .Append(" exited with ").Append(process.ExitCode).Append(": ").Append(await output.ConfigureAwait(false)).Append(await error.ConfigureAwait(false))
                .ToString());
        }
    }

    /// <summary>The directory with initdb and pg_ctl: on PATH if there, else the newest /usr/lib/postgresql/N/bin
    /// (where Debian installs them).</summary>
    private static string FindBinDirectory()
    {
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            if (File.Exists(Path.Combine(dir, "initdb")) && File.Exists(Path.Combine(dir, "pg_ctl")))
            {
                return dir;
            }
        }
        const string Root = "/usr/lib/postgresql";
        var versions = Directory.Exists(Root)
            ? Directory.GetDirectories(Root)
                .Select(d => (Dir: Path.Combine(d, "bin"), Version: int.TryParse(Path.GetFileName(d), NumberStyles.None, CultureInfo.InvariantCulture, out var v) ? v : -1))
                .Where(d => File.Exists(Path.Combine(d.Dir, "initdb")) && File.Exists(Path.Combine(d.Dir, "pg_ctl")))
                .OrderByDescending(d => d.Version)
                .ToList()
            : [];
        return versions.Count > 0
            ? versions[0].Dir
            : throw new InvalidOperationException($"PostgreSQL's initdb and pg_ctl were not found (PATH or {Root}/N/bin): install Debian's '{DebianPackage}' package (./test.sh installs it).");
    }
}
