using System.Diagnostics;
using System.Net.Sockets;
using System.Text;

namespace Parley.Testing;

/// <summary>A real <c>redis-server</c> process on a free loopback port with a fresh temporary directory and no
/// persistence, for tests. Dispose kills it and deletes the directory.</summary>
public sealed class RedisServer : IAsyncDisposable
{
    private const string Executable = "redis-server";
    private const int StartAttempts = 3;
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(15);

    private readonly string _directory;
    private Process? _process;
    private int _disposed;

    private RedisServer(int port, string directory)
    {
        Port = port;
        _directory = directory;
    }

    public int Port { get; }

    /// <summary>A StackExchange.Redis configuration string for this server ("127.0.0.1:port").</summary>
    public string ConnectionString => $"127.0.0.1:{Port}";

    /// <summary>True while the process is running (false after <see cref="Kill"/>).</summary>
    public bool IsRunning => _process is { HasExited: false };

    public static async Task<RedisServer> StartAsync(CancellationToken cancellationToken = default)
    {
        var path = FindExecutable() ?? throw new InvalidOperationException(
            "redis-server not found: run the README's test command, which installs it.");
        Exception? last = null;
        // A port from FreePort can be taken by another process before redis binds it; try a few.
        for (var attempt = 0; attempt < StartAttempts; attempt++)
        {
            var directory = Directory.CreateTempSubdirectory("parley-redis-").FullName;
            var server = new RedisServer(FreePort.Next(), directory);
            try
            {
                await server.LaunchAsync(path, cancellationToken).ConfigureAwait(false);
                return server;
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                last = ex;
                await server.DisposeAsync().ConfigureAwait(false);
            }
        }
        throw new InvalidOperationException($"redis-server did not start after {StartAttempts} attempts.", last);
    }

    /// <summary>Kills the process (keeping its port and directory), e.g. to test behaviour while Redis is down.</summary>
    public void Kill()
    {
        if (_process is { } p)
        {
            KillProcess(p);
            p.Dispose();
            _process = null;
        }
    }

    /// <summary>Starts the server again on the same port after <see cref="Kill"/> (its data is gone).</summary>
    public Task RestartAsync(CancellationToken cancellationToken = default)
    {
        Kill();
        return LaunchAsync(FindExecutable()!, cancellationToken);
    }

    /// <summary>Deletes every key (between tests that share one server).</summary>
    public Task FlushAllAsync(CancellationToken cancellationToken = default) => ExecuteAsync(cancellationToken, "FLUSHALL");

    /// <summary>Sends one command over a fresh connection and returns its reply as text (simple string, integer,
    /// or bulk string; null for a nil reply). An error reply throws.</summary>
    public async Task<string?> ExecuteAsync(CancellationToken cancellationToken, params string[] command)
    {
        using var client = new TcpClient();
        await client.ConnectAsync("127.0.0.1", Port, cancellationToken).ConfigureAwait(false);
        var stream = client.GetStream();
        var request = new StringBuilder().Append('*').Append(command.Length).Append("\r\n");
        foreach (var part in command)
        {
            request.Append('$').Append(Encoding.UTF8.GetByteCount(part)).Append("\r\n").Append(part).Append("\r\n");
        }
        await stream.WriteAsync(Encoding.UTF8.GetBytes(request.ToString()), cancellationToken).ConfigureAwait(false);
        using var reader = new StreamReader(stream, Encoding.UTF8);
        var line = await reader.ReadLineAsync(cancellationToken).ConfigureAwait(false)
            ?? throw new IOException("redis-server closed the connection.");
        switch (line[0])
        {
            case '+':
            case ':':
                return line[1..];
            case '-':
                throw new InvalidOperationException($"redis-server replied {line}");
            case '$' when line == "$-1":
                return null;
            case '$':
                var length = int.Parse(line[1..], System.Globalization.CultureInfo.InvariantCulture);
                var buffer = new char[length];
                await reader.ReadBlockAsync(buffer, cancellationToken).ConfigureAwait(false);
                return new string(buffer);
            default:
                return line;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }
        Kill();
        AppDomain.CurrentDomain.ProcessExit -= OnProcessExit;
        for (var i = 0; i < 5; i++)
        {
            try
            {
                Directory.Delete(_directory, recursive: true);
                return;
            }
            catch (DirectoryNotFoundException)
            {
                return;
            }
            catch (IOException)
            {
                await Task.Delay(100).ConfigureAwait(false);
            }
        }
    }

    private async Task LaunchAsync(string path, CancellationToken cancellationToken)
    {
        var info = new ProcessStartInfo(path)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = _directory,
        };
        foreach (var arg in new[] { "--port", Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
                     "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", _directory })
        {
            info.ArgumentList.Add(arg);
        }
        var output = new StringBuilder();
        var process = new Process { StartInfo = info };
        process.OutputDataReceived += (_, e) => { lock (output) { output.AppendLine(e.Data); } };
        process.ErrorDataReceived += (_, e) => { lock (output) { output.AppendLine(e.Data); } };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _process = process;
        AppDomain.CurrentDomain.ProcessExit -= OnProcessExit;
        AppDomain.CurrentDomain.ProcessExit += OnProcessExit;

        var deadline = Stopwatch.StartNew();
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (process.HasExited)
            {
                string text;
                lock (output)
                {
                    text = output.ToString();
                }
                throw new InvalidOperationException($"redis-server exited with code {process.ExitCode} on port {Port}: {text}");
            }
            try
            {
                if (await ExecuteAsync(cancellationToken, "PING").ConfigureAwait(false) == "PONG")
                {
                    return;
                }
            }
            catch (Exception ex) when (ex is SocketException or IOException or InvalidOperationException)
            {
                // Not listening yet (or still loading): poll again.
            }
            if (deadline.Elapsed > StartTimeout)
            {
                throw new TimeoutException($"redis-server on port {Port} did not answer PING within {StartTimeout}.");
            }
            await Task.Delay(20, cancellationToken).ConfigureAwait(false);
        }
    }

    // Last resort so a crashed or aborted test run never leaves a redis-server behind.
    private void OnProcessExit(object? sender, EventArgs e)
    {
        if (_process is { } p)
        {
            KillProcess(p);
        }
    }

    private static void KillProcess(Process p)
    {
        try
        {
            if (!p.HasExited)
            {
                p.Kill(entireProcessTree: true);
                p.WaitForExit(5000);
            }
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }
    }

    private static string? FindExecutable()
    {
        var pathVar = Environment.GetEnvironmentVariable("PATH") ?? string.Empty;
        foreach (var dir in pathVar.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(dir, Executable);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }
        // Debian installs it here; a PATH without /usr/bin (rare in CI) should still find it.
        return File.Exists("/usr/bin/redis-server") ? "/usr/bin/redis-server" : null;
    }
}
