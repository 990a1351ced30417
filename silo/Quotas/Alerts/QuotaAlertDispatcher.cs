using System.Threading.Channels;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Parley.Grains.Quotas;

namespace Parley.Silo.Quotas.Alerts;

/// <summary>What happens to a budget alert the ledger reported (once, cluster-wide): it is logged and counted at once,
/// and its webhook is queued for a background loop that POSTs it with retries, so a slow or dead receiver never
/// delays a request. The queue is bounded: under a flood the oldest webhooks go, never memory or latency.</summary>
public sealed class QuotaAlertDispatcher : IHostedService, IDisposable
{
    // Logged for a user budget crossed by no particular key, so the line reads the same for every scope.
    private const string NoKey = "-";

    private readonly QuotaAlertOptions _options;
    private readonly ILogger _logger;
    private readonly TimeProvider _timeProvider;
    private readonly Func<double> _jitter;
    private readonly QuotaAlertWebhook? _webhook;
    private readonly Channel<QueuedAlert> _queue;
    private readonly CancellationTokenSource _stopping = new();
    private Task? _loop;
    private volatile QueuedAlert? _inFlight;
    private int _disposed;

    public QuotaAlertDispatcher(IOptions<QuotaAlertOptions> options, ILogger<QuotaAlertDispatcher> logger, TimeProvider timeProvider)
        : this(options.Value, logger, timeProvider, static () => 1.0 - Random.Shared.NextDouble())
    {
    }

    /// <param name="jitter">Draws the full-jitter fraction, in (0, 1]; tests fix it.</param>
    internal QuotaAlertDispatcher(QuotaAlertOptions options, ILogger logger, TimeProvider timeProvider, Func<double> jitter)
    {
        _options = options;
        _logger = logger;
        _timeProvider = timeProvider;
        _jitter = jitter;
        if (options.WebhookUri is { } uri)
        {
            _webhook = new QuotaAlertWebhook(uri, options.WebhookSecret, options.Timeout, timeProvider);
        }
        _queue = Channel.CreateBounded<QueuedAlert>(
            new BoundedChannelOptions(options.QueueCapacity)
            {
                FullMode = BoundedChannelFullMode.DropOldest,
                SingleReader = true,
                SingleWriter = false,
            },
            OnDropped);
    }

    internal QuotaAlertMetrics Metrics { get; } = new();

    /// <summary>Logs and counts the alert and queues its webhook (when one is configured). Never blocks, never throws
    /// for a full queue.</summary>
    public void Publish(BudgetAlert alert)
    {
        ArgumentNullException.ThrowIfNull(alert);
        var scope = QuotaAlertNames.Scope(alert.Scope);
        var budget = QuotaAlertNames.Budget(alert.Kind);
        var used = QuotaAlertNames.InBudgetUnit(alert.Kind, alert.Used);
        var limit = QuotaAlertNames.InBudgetUnit(alert.Kind, alert.Limit);
        if (alert.ThresholdPercent >= 100)
        {
            QuotaAlertLog.BudgetExhausted(_logger, scope, budget, alert.UserId, alert.KeyId ?? NoKey, alert.ThresholdPercent, alert.Period, used, limit);
        }
        else
        {
            QuotaAlertLog.ThresholdCrossed(_logger, scope, budget, alert.UserId, alert.KeyId ?? NoKey, alert.ThresholdPercent, alert.Period, used, limit);
        }
        Metrics.Alert(budget, alert.ThresholdPercent, scope);
        if (_webhook is not null && !_queue.Writer.TryWrite(new QueuedAlert(alert, _timeProvider.GetUtcNow())))
        {
            // Only after shutdown began: the bounded queue itself never refuses, it drops its oldest.
            QuotaAlertLog.NotQueuedStopping(_logger, budget, alert.ThresholdPercent, alert.UserId);
            Metrics.Webhook(QuotaAlertMetrics.Dropped);
        }
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (_webhook is not null)
        {
            _loop = Task.Run(() => RunAsync(_stopping.Token), CancellationToken.None);
        }
        return Task.CompletedTask;
    }

    /// <summary>Lets queued webhooks go out for up to <see cref="QuotaAlertOptions.ShutdownTimeout"/> (or until the
    /// host's own deadline), then abandons the rest.</summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        _queue.Writer.TryComplete();
        if (_loop is null)
        {
            return;
        }
        try
        {
            await _loop.WaitAsync(_options.ShutdownTimeout, _timeProvider, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception exception) when (exception is TimeoutException or OperationCanceledException)
        {
            await _stopping.CancelAsync().ConfigureAwait(false);
            await _loop.ConfigureAwait(false);
            var left = _queue.Reader.Count + (_inFlight is null ? 0 : 1);
            if (left > 0)
            {
                QuotaAlertLog.DroppedAtShutdown(_logger, left);
                for (var i = 0; i < left; i++)
                {
                    Metrics.Webhook(QuotaAlertMetrics.Dropped);
                }
            }
        }
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }
        _queue.Writer.TryComplete();
        _stopping.Cancel();
        _stopping.Dispose();
        _webhook?.Dispose();
        Metrics.Dispose();
    }

    // Never throws: a failure of one delivery must not stop the loop for the alerts behind it.
    private async Task RunAsync(CancellationToken stopping)
    {
        try
        {
            await foreach (var item in _queue.Reader.ReadAllAsync(stopping).ConfigureAwait(false))
            {
                _inFlight = item;
                try
                {
                    await DeliverAsync(item, stopping).ConfigureAwait(false);
                    _inFlight = null;
                }
                catch (OperationCanceledException) when (stopping.IsCancellationRequested)
                {
                    return;
                }
                catch (Exception exception)
                {
                    _inFlight = null;
                    QuotaAlertLog.DeliveryCrashed(_logger, item.Alert.UserId, exception);
                    Metrics.Webhook(QuotaAlertMetrics.Failed);
                }
            }
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
        }
    }

    private async Task DeliverAsync(QueuedAlert item, CancellationToken stopping)
    {
        var webhook = _webhook!;
        var userId = item.Alert.UserId;
        // Serialized and signed once: every attempt sends the same bytes, so a receiver can compare retries.
        var body = QuotaAlertPayload.From(item.Alert, item.OccurredAt).ToUtf8Json();
        var signature = webhook.Sign(body);
        var deliveryId = Guid.NewGuid().ToString("N");
        for (var attempt = 1; ; attempt++)
        {
            var result = await webhook.SendAsync(body, signature, deliveryId, stopping).ConfigureAwait(false);
            switch (result.Outcome)
            {
                case WebhookOutcome.Delivered:
                    QuotaAlertLog.Delivered(_logger, userId, attempt, result.StatusCode);
                    Metrics.Webhook(QuotaAlertMetrics.Delivered);
                    return;
                case WebhookOutcome.Rejected:
                    QuotaAlertLog.Rejected(_logger, userId, result.StatusCode);
                    Metrics.Webhook(QuotaAlertMetrics.Rejected);
                    return;
            }
            if (attempt >= _options.MaxAttempts)
            {
                QuotaAlertLog.GaveUp(_logger, userId, attempt, result.Failure);
                Metrics.Webhook(QuotaAlertMetrics.Failed);
                return;
            }
            var delay = QuotaAlertWebhook.RetryDelay(attempt, _options.FirstRetryDelay, _options.MaxRetryDelay, _jitter());
            if (result.RetryAfter is { } retryAfter && retryAfter > delay)
            {
                // The receiver knows best when it can take more, within the configured cap.
                delay = retryAfter < _options.MaxRetryDelay ? retryAfter : _options.MaxRetryDelay;
            }
            QuotaAlertLog.Retrying(_logger, attempt, userId, result.Failure, delay);
            Metrics.Webhook(QuotaAlertMetrics.Retry);
            await Task.Delay(delay, _timeProvider, stopping).ConfigureAwait(false);
        }
    }

    // Called by the channel when a write finds it full: the oldest alert's webhook goes.
    private void OnDropped(QueuedAlert dropped)
    {
        QuotaAlertLog.QueueFullDropped(_logger, _options.QueueCapacity, QuotaAlertNames.Budget(dropped.Alert.Kind), dropped.Alert.ThresholdPercent, dropped.Alert.UserId);
        Metrics.Webhook(QuotaAlertMetrics.Dropped);
    }

    private sealed record QueuedAlert(BudgetAlert Alert, DateTimeOffset OccurredAt);
}
