using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Parley.Cli.Hosting;

namespace Parley.Cli.Api;

/// <summary>HTTP to one Parley server with one credential. Every error answer becomes a
/// <see cref="ParleyApiException"/> carrying the server's message; an unreachable server a <see cref="CliException"/>
/// with <see cref="ExitCodes.Unreachable"/>.</summary>
public sealed class ParleyClient : IDisposable
{
    private readonly HttpClient _http;

    public ParleyClient(Uri server, string secret, TimeSpan? timeout = null)
    {
        Server = server;
        _http = new HttpClient(new SocketsHttpHandler { PooledConnectionIdleTimeout = TimeSpan.FromSeconds(30), MaxConnectionsPerServer = 256 })
        {
            BaseAddress = server,
            // Streams and long batches set their own limits through cancellation.
            Timeout = timeout ?? Timeout.InfiniteTimeSpan,
        };
        _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", secret);
        _http.DefaultRequestHeaders.UserAgent.Add(new ProductInfoHeaderValue("parley-cli", typeof(ParleyClient).Assembly.GetName().Version?.ToString(3) ?? "0"));
    }

    public Uri Server { get; }

    public Task<JsonElement> GetAsync(string path, CancellationToken cancellationToken)
        => SendJsonAsync(HttpMethod.Get, path, null, cancellationToken);

    public async Task<JsonElement> SendJsonAsync(HttpMethod method, string path, JsonNode? body, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(method, path);
        if (body is not null)
        {
            request.Content = JsonContent(body);
        }
        using var response = await SendAsync(request, HttpCompletionOption.ResponseContentRead, cancellationToken).ConfigureAwait(false);
        var text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        if (text.Length == 0)
        {
            return default;
        }
        try
        {
            using var document = JsonDocument.Parse(text);
            return document.RootElement.Clone();
        }
        catch (JsonException)
        {
            throw new CliException(ExitCodes.ApiError, $"{Server} answered {method} {path} with something that is not JSON; is it a Parley server?", "invalid_response");
        }
    }

    /// <summary>Sends; an error status is thrown as <see cref="ParleyApiException"/>, a transport failure as
    /// <see cref="CliException"/> (unreachable) or <see cref="HttpRequestException"/> when it happened mid-way.</summary>
    public async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, HttpCompletionOption completion, CancellationToken cancellationToken)
    {
        HttpResponseMessage response;
        try
        {
            response = await _http.SendAsync(request, completion, cancellationToken).ConfigureAwait(false);
        }
        catch (HttpRequestException e) when (e.HttpRequestError is HttpRequestError.ConnectionError or HttpRequestError.NameResolutionError)
        {
            throw new ServerUnreachableException(Server, e);
        }
        if (!response.IsSuccessStatusCode)
        {
            using (response)
            {
                throw await ErrorFromAsync(response, cancellationToken).ConfigureAwait(false);
            }
        }
        return response;
    }

    public static StringContent JsonContent(JsonNode body) => new(body.ToJsonString(), Encoding.UTF8, "application/json");

    public static async Task<ParleyApiException> ErrorFromAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        string text;
        try
        {
            text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (HttpRequestException)
        {
            text = "";
        }
        string? message = null, type = null, code = null;
        try
        {
            using var document = JsonDocument.Parse(text);
            if (document.RootElement.ValueKind == JsonValueKind.Object && document.RootElement.TryGetProperty("error", out var error)
                && error.ValueKind == JsonValueKind.Object)
            {
                message = String(error, "message");
                type = String(error, "type");
                code = String(error, "code");
            }
        }
        catch (JsonException)
        {
        }
        message ??= text.Length is > 0 and < 300 ? text.Trim() : $"{(int)response.StatusCode} {response.ReasonPhrase}";
        return new ParleyApiException(response.StatusCode, message, type, code, RetryAfter(response));
    }

    public static TimeSpan? RetryAfter(HttpResponseMessage response)
    {
        if (response.Headers.TryGetValues("retry-after-ms", out var ms)
            && double.TryParse(ms.FirstOrDefault(), NumberStyles.Float, CultureInfo.InvariantCulture, out var milliseconds) && milliseconds >= 0)
        {
            return TimeSpan.FromMilliseconds(milliseconds);
        }
        if (response.Headers.RetryAfter is { } retryAfter)
        {
            if (retryAfter.Delta is { } delta)
            {
                return delta;
            }
            if (retryAfter.Date is { } date)
            {
                var wait = date - DateTimeOffset.UtcNow;
                return wait > TimeSpan.Zero ? wait : TimeSpan.Zero;
            }
        }
        return null;
    }

    private static string? String(JsonElement element, string name)
        => element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    public void Dispose() => _http.Dispose();
}

public sealed class ServerUnreachableException(Uri server, Exception inner)
    : CliException(ExitCodes.Unreachable, $"cannot reach {server}: {inner.Message}", "server_unreachable")
{
    public Exception Cause { get; } = inner;
}
