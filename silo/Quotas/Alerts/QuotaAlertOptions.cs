using Microsoft.Extensions.Options;

namespace Parley.Silo.Quotas.Alerts;

/// <summary>Parley:Quotas:Alerts: where budget alerts are POSTed and how hard delivery tries. Every alert is logged and
/// counted whether or not a webhook is configured.</summary>
public sealed class QuotaAlertOptions
{
    public const string SectionName = "Parley:Quotas:Alerts";
    public const int DefaultMaxAttempts = 5;
    public static readonly TimeSpan DefaultFirstRetryDelay = TimeSpan.FromSeconds(1);
    public static readonly TimeSpan DefaultMaxRetryDelay = TimeSpan.FromSeconds(60);
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(10);
    public const int DefaultQueueCapacity = 10_000;
    public static readonly TimeSpan DefaultShutdownTimeout = TimeSpan.FromSeconds(5);

    // Past these a setting is a typo rather than a choice; a retry loop of a thousand attempts would keep one alert
    // in front of every later one for hours.
    public const int MaxSupportedAttempts = 100;
    public const int MaxSupportedQueueCapacity = 1_000_000;

    /// <summary>Absolute http(s) URL that receives one POST per alert; none: alerts are only logged and counted.</summary>
    public string? WebhookUrl { get; set; }

    /// <summary>When set, each body is signed: <c>x-parley-signature: sha256=&lt;hex HMAC-SHA256 of the body&gt;</c>.</summary>
    public string? WebhookSecret { get; set; }

    /// <summary>Attempts per alert, the first included.</summary>
    public int MaxAttempts { get; set; } = DefaultMaxAttempts;

    /// <summary>Upper bound of the first retry's delay; it doubles per retry, and the actual delay is drawn uniformly
    /// below the bound (full jitter) so that many silos recovering together do not retry in step.</summary>
    public TimeSpan FirstRetryDelay { get; set; } = DefaultFirstRetryDelay;

    /// <summary>Cap on the doubling bound (and on a receiver's Retry-After).</summary>
    public TimeSpan MaxRetryDelay { get; set; } = DefaultMaxRetryDelay;

    /// <summary>Bound on one attempt, connection included.</summary>
    public TimeSpan Timeout { get; set; } = DefaultTimeout;

    /// <summary>Alerts waiting for delivery; when full the oldest is dropped (it was already logged and counted).</summary>
    public int QueueCapacity { get; set; } = DefaultQueueCapacity;

    /// <summary>On shutdown, how long queued alerts still have to go out before the rest are dropped.</summary>
    public TimeSpan ShutdownTimeout { get; set; } = DefaultShutdownTimeout;

    internal Uri? WebhookUri => string.IsNullOrWhiteSpace(WebhookUrl) ? null : new Uri(WebhookUrl, UriKind.Absolute);
}

internal sealed class QuotaAlertOptionsValidator : IValidateOptions<QuotaAlertOptions>
{
    public ValidateOptionsResult Validate(string? name, QuotaAlertOptions options)
    {
        const string Section = QuotaAlertOptions.SectionName;
        var failures = new List<string>();
        // The URL itself is not echoed: it may carry credentials in its user info or query.
        if (!string.IsNullOrWhiteSpace(options.WebhookUrl) &&
            (!Uri.TryCreate(options.WebhookUrl, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps)))
        {
            failures.Add($"{Section}:WebhookUrl must be an absolute http or https URL.");
        }
        if (options.WebhookSecret is { } secret && secret.Length > 0 && string.IsNullOrWhiteSpace(secret))
        {
            failures.Add($"{Section}:WebhookSecret must not be only white space.");
        }
        if (options.MaxAttempts < 1 || options.MaxAttempts > QuotaAlertOptions.MaxSupportedAttempts)
        {
            failures.Add($"{Section}:MaxAttempts must be between 1 and {QuotaAlertOptions.MaxSupportedAttempts}.");
        }
        if (options.FirstRetryDelay <= TimeSpan.Zero)
        {
            failures.Add($"{Section}:FirstRetryDelay must be positive.");
        }
        if (options.MaxRetryDelay < options.FirstRetryDelay)
        {
            failures.Add($"{Section}:MaxRetryDelay must be at least FirstRetryDelay.");
        }
        if (options.Timeout <= TimeSpan.Zero)
        {
            failures.Add($"{Section}:Timeout must be positive.");
        }
        if (options.QueueCapacity < 1 || options.QueueCapacity > QuotaAlertOptions.MaxSupportedQueueCapacity)
        {
            failures.Add($"{Section}:QueueCapacity must be between 1 and {QuotaAlertOptions.MaxSupportedQueueCapacity}.");
        }
        if (options.ShutdownTimeout < TimeSpan.Zero)
        {
            failures.Add($"{Section}:ShutdownTimeout must not be negative.");
        }
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
