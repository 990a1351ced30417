using System.Diagnostics.Metrics;
using Microsoft.Extensions.Compliance.Redaction;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Parley.Grains.Quotas;
using Parley.ServiceDefaults.Logging;
using Parley.Silo.Quotas.Alerts;
using Parley.Testing;

namespace Parley.Silo.Tests.Quotas.Alerts;

public sealed record CapturedLog(LogLevel Level, int EventId, string Message);

/// <summary>Keeps every log record written through it.</summary>
public sealed class CapturingLogger : ILogger
{
    private readonly List<CapturedLog> _records = [];

    public IReadOnlyList<CapturedLog> Records
    {
        get
        {
            lock (_records)
            {
                return [.. _records];
            }
        }
    }

    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        lock (_records)
        {
            _records.Add(new CapturedLog(logLevel, eventId.Id, formatter(state, exception)));
        }
    }
}

public sealed record CapturedMeasurement(string Instrument, long Value, IReadOnlyDictionary<string, object?> Tags);

/// <summary>Measurements of one <see cref="Meter"/> instance (not every meter of the name, which other tests running
/// in parallel also use), with a bounded wait for a measurement to appear.</summary>
public sealed class MetricCapture : IDisposable
{
    private static readonly TimeSpan WaitBound = TimeSpan.FromSeconds(10);
    private readonly MeterListener _listener = new();
    private readonly List<CapturedMeasurement> _measurements = [];
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public MetricCapture(Meter meter)
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (ReferenceEquals(instrument.Meter, meter))
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            var copy = new Dictionary<string, object?>(StringComparer.Ordinal);
            foreach (var tag in tags)
            {
                copy[tag.Key] = tag.Value;
            }
            TaskCompletionSource changed;
            lock (_measurements)
            {
                _measurements.Add(new CapturedMeasurement(instrument.Name, value, copy));
                changed = _changed;
                _changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            }
            changed.TrySetResult();
        });
        _listener.Start();
    }

    public IReadOnlyList<CapturedMeasurement> Measurements
    {
        get
        {
            lock (_measurements)
            {
                return [.. _measurements];
            }
        }
    }

    public int WebhookOutcomes(string outcome)
        => Measurements.Where(m => m.Instrument == QuotaAlertMetrics.WebhooksName && Equals(m.Tags["outcome"], outcome)).Sum(m => (int)m.Value);

    /// <summary>Waits (bounded, real time) until the webhook outcome has been counted <paramref name="count"/> times.</summary>
    public async Task WaitForOutcomeAsync(string outcome, int count)
    {
        using var cts = new CancellationTokenSource(WaitBound);
        while (true)
        {
            Task changed;
            lock (_measurements)
            {
                changed = _changed.Task;
            }
            if (WebhookOutcomes(outcome) >= count)
            {
                return;
            }
            try
            {
                await changed.WaitAsync(cts.Token);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"Outcome {outcome} counted {WebhookOutcomes(outcome)} times, expected {count}.");
            }
        }
    }

    public void Dispose() => _listener.Dispose();
}

/// <summary>A started dispatcher on a manual clock with a fixed jitter draw, its log and its metrics. Its logger comes
/// from a factory with Parley's log redaction, as in a silo: user and key ids are written as pseudonyms
/// (<see cref="Pseudonym"/>).</summary>
public sealed class AlertRig : IAsyncDisposable
{
    private readonly ServiceProvider _logging;
    private readonly IRedactorProvider _redactors;

    private AlertRig(QuotaAlertOptions options, ManualTimeProvider time, double jitter)
    {
        Options = options;
        Time = time;
        var services = new ServiceCollection();
        services.AddLogging(logging => logging.AddProvider(new SingleLoggerProvider(Logger)));
        services.AddParleyLogRedaction(new LogRedactionOptions { IdHmacKey = Convert.ToBase64String(new byte[32]) });
        _logging = services.BuildServiceProvider();
        _redactors = _logging.GetRequiredService<IRedactorProvider>();
        Dispatcher = new QuotaAlertDispatcher(options, _logging.GetRequiredService<ILoggerFactory>().CreateLogger<QuotaAlertDispatcher>(), time, () => jitter);
        Metrics = new MetricCapture(Dispatcher.Metrics.Meter);
    }

    /// <summary>What a user or key id becomes in a log line.</summary>
    public string Pseudonym(string id) => _redactors.GetRedactor(ParleyDataClasses.Pseudonymous).Redact(id);

    public QuotaAlertOptions Options { get; }
    public ManualTimeProvider Time { get; }
    public CapturingLogger Logger { get; } = new();
    internal QuotaAlertDispatcher Dispatcher { get; }
    public MetricCapture Metrics { get; }

    public static async Task<AlertRig> StartAsync(QuotaAlertOptions options, ManualTimeProvider? time = null, double jitter = 1.0)
    {
        var rig = new AlertRig(options, time ?? new ManualTimeProvider(), jitter);
        await rig.Dispatcher.StartAsync(CancellationToken.None);
        return rig;
    }

    public void Publish(BudgetAlert alert) => Dispatcher.Publish(alert);

    /// <summary>Stops with a real-time bound, so a test that left a delivery waiting on the manual clock cannot hang.</summary>
    public async Task StopAsync()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await Dispatcher.StopAsync(cts.Token);
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        Dispatcher.Dispose();
        Metrics.Dispose();
        await _logging.DisposeAsync();
    }

    private sealed class SingleLoggerProvider(ILogger logger) : ILoggerProvider
    {
        public ILogger CreateLogger(string categoryName) => logger;

        public void Dispose()
        {
        }
    }

    public static BudgetAlert TokensPerDay(string userId, int thresholdPercent, long used = 500, long limit = 1000)
        => new(userId, null, QuotaScope.User, QuotaKind.TokensPerDay, thresholdPercent, "2025-01-01", used, limit);
}
