using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;

namespace Parley.Silo.Quotas.Alerts;

internal enum WebhookOutcome
{
    Delivered,
    Retryable,
    Rejected,
}

/// <param name="Failure">What went wrong, for the log (a status or an error class, never a body or a header).</param>
/// <param name="RetryAfter">The receiver's own Retry-After, when it sent one.</param>
internal readonly record struct WebhookAttempt(WebhookOutcome Outcome, int StatusCode, string Failure, TimeSpan? RetryAfter);

/// <summary>One POST of a signed body to the configured receiver, and what its answer means for a retry.</summary>
internal sealed class QuotaAlertWebhook : IDisposable
{
    public const string SignatureHeader = "x-parley-signature";
    public const string DeliveryHeader = "x-parley-delivery";
    public const string EventHeader = "x-parley-event";

    // Connections are recycled now and then so that a receiver moved behind DNS is found again.
    private static readonly TimeSpan PooledConnectionLifetime = TimeSpan.FromMinutes(5);

    private readonly HttpClient _client;
    private readonly Uri _uri;
    private readonly byte[]? _secret;
    private readonly TimeSpan _timeout;
    private readonly TimeProvider _timeProvider;

    public QuotaAlertWebhook(Uri uri, string? secret, TimeSpan timeout, TimeProvider timeProvider)
    {
        _uri = uri;
        _secret = string.IsNullOrEmpty(secret) ? null : Encoding.UTF8.GetBytes(secret);
        _timeout = timeout;
        _timeProvider = timeProvider;
        // Each attempt has its own TimeProvider-driven timeout; the client's own would run on the wall clock.
        _client = new HttpClient(new SocketsHttpHandler
        {
            PooledConnectionLifetime = PooledConnectionLifetime,
            ConnectTimeout = timeout,
            // A redirect of a signed POST is not followed: the receiver's URL is configuration, not negotiable.
            AllowAutoRedirect = false,
        })
        {
            Timeout = System.Threading.Timeout.InfiniteTimeSpan,
        };
    }

    /// <summary><c>sha256=&lt;hex&gt;</c> of the body, or null when no secret is configured.</summary>
    public string? Sign(byte[] body) => _secret is null ? null : "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(_secret, body));

    public async Task<WebhookAttempt> SendAsync(byte[] body, string? signature, string deliveryId, CancellationToken cancellationToken)
    {
        using var timeout = new CancellationTokenSource(_timeout, _timeProvider);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        using var request = new HttpRequestMessage(HttpMethod.Post, _uri) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        request.Headers.TryAddWithoutValidation(EventHeader, QuotaAlertPayload.EventType);
        // The same id on every attempt lets a receiver drop a duplicate (an attempt that timed out may have arrived).
        request.Headers.TryAddWithoutValidation(DeliveryHeader, deliveryId);
        if (signature is not null)
        {
            request.Headers.TryAddWithoutValidation(SignatureHeader, signature);
        }
        try
        {
            using var response = await _client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, linked.Token).ConfigureAwait(false);
            var status = (int)response.StatusCode;
            if (response.IsSuccessStatusCode)
            {
                return new WebhookAttempt(WebhookOutcome.Delivered, status, "", null);
            }
            var retryable = response.StatusCode is HttpStatusCode.RequestTimeout or HttpStatusCode.TooManyRequests || status >= 500;
            return new WebhookAttempt(retryable ? WebhookOutcome.Retryable : WebhookOutcome.Rejected, status, "status " + status, RetryAfter(response));
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return new WebhookAttempt(WebhookOutcome.Retryable, 0, "timed out", null);
        }
        catch (HttpRequestException exception)
        {
            return new WebhookAttempt(WebhookOutcome.Retryable, 0, exception.HttpRequestError.ToString(), null);
        }
    }

    /// <summary>The delay before retry number <paramref name="retry"/> (1 for the first): drawn below a bound that
    /// starts at <paramref name="first"/> and doubles, capped at <paramref name="max"/>; <paramref name="jitter"/> is
    /// the draw in (0, 1].</summary>
    public static TimeSpan RetryDelay(int retry, TimeSpan first, TimeSpan max, double jitter)
    {
        // In double so that a large retry number cannot overflow before the cap applies.
        var bound = Math.Min(max.Ticks, first.Ticks * Math.Pow(2, retry - 1));
        return TimeSpan.FromTicks((long)(bound * jitter));
    }

    private TimeSpan? RetryAfter(HttpResponseMessage response) => response.Headers.RetryAfter switch
    {
        { Delta: { } delta } => delta,
        { Date: { } date } => date > _timeProvider.GetUtcNow() ? date - _timeProvider.GetUtcNow() : TimeSpan.Zero,
        _ => null,
    };

    public void Dispose() => _client.Dispose();
}
