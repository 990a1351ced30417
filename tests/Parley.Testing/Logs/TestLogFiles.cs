using System.Diagnostics;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;

namespace Parley.Testing.Logs;

/// <summary>The whole-run log capture: when <see cref="DirectoryVariable"/> names a folder (test.sh sets it), every host
/// the tests start writes every log record (<see cref="LogRecordText"/>: message, values, scopes, exception) to one file
/// per test process there, and the output of every silo process the tests spawn to one file per process; after the
/// run, tests/Parley.LogScan checks all of it for secrets and content. Unset, nothing is written.</summary>
public static class TestLogFiles
{
    public const string DirectoryVariable = "PARLEY_TEST_LOG_DIR";

    private static readonly Lazy<Sink?> Records = new(() => Open($"{Entry()}-{Environment.ProcessId}.log"));
    private static int _processFiles;

    /// <summary>The folder, or null when the run does not capture.</summary>
    public static string? Folder => Environment.GetEnvironmentVariable(DirectoryVariable) is { Length: > 0 } folder ? folder : null;

    /// <summary>Adds the capture to a host when the run captures: Parley's categories at Trace, the rest at Information
    /// (ASP.NET Core at Warning, as deployed), whatever the host's own filters say.</summary>
    public static ILoggingBuilder AddTestLogFile(this ILoggingBuilder logging)
    {
        if (Records.Value is not { } sink)
        {
            return logging;
        }
        logging.Services.TryAddEnumerable(ServiceDescriptor.Singleton<ILoggerProvider>(new TestLogFileProvider(sink)));
        logging.AddFilter<TestLogFileProvider>(null, LogLevel.Information);
        logging.AddFilter<TestLogFileProvider>("Microsoft.AspNetCore", LogLevel.Warning);
        logging.AddFilter<TestLogFileProvider>("Parley", LogLevel.Trace);
        return logging;
    }

    /// <summary>A file for the output of one spawned process (its console log), or null when the run does not
    /// capture. Write lines with <see cref="Sink.WriteLine"/>.</summary>
    public static Sink? ForProcess(string name)
        => Folder is null ? null : Open($"{Entry()}-{Environment.ProcessId}-{name}-{Interlocked.Increment(ref _processFiles)}.out");

    private static Sink? Open(string fileName)
    {
        if (Folder is not { } folder)
        {
            return null;
        }
        Directory.CreateDirectory(folder);
        return new Sink(Path.Combine(folder, fileName));
    }

    private static string Entry() => (System.Reflection.Assembly.GetEntryAssembly()?.GetName().Name ?? Process.GetCurrentProcess().ProcessName)
        .Replace(Path.DirectorySeparatorChar, '_');

    /// <summary>One file, written line by line under a lock, buffered, flushed every second and when the process
    /// exits.</summary>
    public sealed class Sink
    {
        private readonly StreamWriter _writer;
        private readonly Timer _flush;

        internal Sink(string path)
        {
            _writer = new StreamWriter(new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite, 1 << 16), new UTF8Encoding(false));
            _flush = new Timer(static s => ((Sink)s!).Flush(), this, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1));
            AppDomain.CurrentDomain.ProcessExit += (_, _) => Flush();
        }

        public void WriteLine(string line)
        {
            lock (_writer)
            {
                _writer.WriteLine(line);
            }
        }

        public void Flush()
        {
            lock (_writer)
            {
                _writer.Flush();
            }
        }
    }
}

/// <summary>The logging provider behind <see cref="TestLogFiles.AddTestLogFile"/>.</summary>
[ProviderAlias("TestLogFile")]
public sealed class TestLogFileProvider : ILoggerProvider, ISupportExternalScope
{
    private readonly TestLogFiles.Sink _sink;
    private IExternalScopeProvider? _scopes;

    internal TestLogFileProvider(TestLogFiles.Sink sink) => _sink = sink;

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void SetScopeProvider(IExternalScopeProvider scopeProvider) => _scopes = scopeProvider;

    public void Dispose() => _sink.Flush();

    private sealed class Logger(TestLogFileProvider owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => owner._scopes?.Push(state);

        public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            => owner._sink.WriteLine(LogRecordText.Format(category, logLevel, eventId, state, exception, formatter, owner._scopes));
    }
}
