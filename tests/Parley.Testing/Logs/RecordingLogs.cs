using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Parley.Testing.Logs;

/// <summary>Keeps every log record a host writes, with its structured values, scopes and exception
/// (<see cref="LogRecordText"/>), for a test to scan.</summary>
[ProviderAlias("Recording")]
public sealed class RecordingLogs : ILoggerProvider, ISupportExternalScope
{
    private readonly ConcurrentQueue<string> _lines = new();
    private IExternalScopeProvider? _scopes;

    public IReadOnlyCollection<string> Lines => _lines;

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void SetScopeProvider(IExternalScopeProvider scopeProvider) => _scopes = scopeProvider;

    public void Dispose()
    {
    }

    private sealed class Logger(RecordingLogs owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => owner._scopes?.Push(state);

        public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            => owner._lines.Enqueue(LogRecordText.Format(category, logLevel, eventId, state, exception, formatter, owner._scopes));
    }
}
