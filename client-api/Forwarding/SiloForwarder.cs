using System.Buffers;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Parley.ClientApi.Hosting;
using Parley.ClientApi.Routing;

namespace Parley.ClientApi.Forwarding;

/// <summary>Forwards one request to the silo its routing key ranks first, streaming both bodies. When a silo refuses
/// the connection before any of the request body was read, the next silo of the ranking is tried; after that the
/// client gets 502, and 503 when no silo is live. Everything else (status, headers, body) is the silo's own.</summary>
public sealed class SiloForwarder(
    ISiloDirectory directory,
    ForwarderHttpClient client,
    IOptions<FrontEndOptions> options,
    ILogger<SiloForwarder> logger)
{
    // Large enough for a whole chat completion in one read; SSE chunks are far smaller and are flushed as they come.
    private const int CopyBufferSize = 16 * 1024;
    private readonly int _maxAttempts = options.Value.MaxAttempts;

    public async Task ForwardAsync(HttpContext context)
    {
        var request = context.Request;
        var silos = directory.Current;
        if (silos.Count == 0)
        {
            ForwarderLog.NoLiveSilo(logger, request.Method, request.Path.Value ?? "/");
            await FrontEndErrors.WriteAsync(context, StatusCodes.Status503ServiceUnavailable,
                "No Parley silo is available to serve the request. Retry shortly.", FrontEndErrors.NoSiloAvailableCode);
            return;
        }

        var keyHash = RoutingKey.HashOf(context);
        var body = HasBody(context) ? new ObservedRequestStream(request.Body) : null;
        var attempts = Math.Min(_maxAttempts, silos.Count);
        var cursor = default(RendezvousCursor);
        var aborted = context.RequestAborted;
        for (var attempt = 1; ; attempt++)
        {
            var silo = silos.Next(keyHash, ref cursor)!;
            ForwarderLog.Forwarding(logger, request.Method, request.Path.Value ?? "/", silo.Address, attempt);
            using var message = CreateMessage(context, silo, body);
            HttpResponseMessage response;
            try
            {
                response = await client.Invoker.SendAsync(message, aborted);
            }
            catch (Exception ex) when (aborted.IsCancellationRequested && ex is OperationCanceledException or IOException or HttpRequestException)
            {
                ForwarderLog.ClientAborted(logger, request.Method, request.Path.Value ?? "/");
                return;
            }
            catch (Exception ex) when (IsRefusal(ex) && body is not { HasStarted: true })
            {
                if (attempt < attempts)
                {
                    ForwarderLog.SiloRefused(logger, silo.Address, request.Method, request.Path.Value ?? "/", ex);
                    continue;
                }
                await FailAsync(context, attempt, ex);
                return;
            }
            catch (Exception ex) when (ex is HttpRequestException or OperationCanceledException or IOException)
            {
                await FailAsync(context, attempt, ex);
                return;
            }

            using (response)
            {
                await CopyResponseAsync(context, silo, response);
            }
            return;
        }
    }

    private static bool HasBody(HttpContext context)
        => context.Features.Get<IHttpRequestBodyDetectionFeature>()?.CanHaveBody ?? context.Request.ContentLength > 0;

    // Connection refused/reset while connecting, or the connect timeout (a cancellation the client did not ask for).
    private static bool IsRefusal(Exception ex)
        => ex is HttpRequestException { HttpRequestError: HttpRequestError.ConnectionError } or OperationCanceledException;

    private Task FailAsync(HttpContext context, int attempts, Exception ex)
    {
        ForwarderLog.ForwardFailed(logger, context.Request.Method, context.Request.Path.Value ?? "/", attempts, ex);
        return FrontEndErrors.WriteAsync(context, StatusCodes.Status502BadGateway,
            "The Parley silo could not be reached. Retry shortly.", FrontEndErrors.UpstreamUnavailableCode);
    }

    private static HttpRequestMessage CreateMessage(HttpContext context, SiloNode silo, ObservedRequestStream? body)
    {
        var request = context.Request;
        var message = new HttpRequestMessage(HttpMethod.Parse(request.Method), TargetUri(context, silo))
        {
            Version = System.Net.HttpVersion.Version11,
            VersionPolicy = HttpVersionPolicy.RequestVersionOrLower,
        };
        if (body is not null)
        {
            // A known length is kept; an unknown one makes HttpClient send the body chunked.
            message.Content = new StreamContent(body, CopyBufferSize);
            message.Content.Headers.ContentLength = request.ContentLength;
        }
        foreach (var header in request.Headers)
        {
            if (HopByHopHeaders.SkipRequestHeader(header.Key))
            {
                continue;
            }
            // Content-Type and the other content headers belong on the content.
            if (!TryAddHeader(message.Headers, header.Key, header.Value) && message.Content is { } content)
            {
                TryAddHeader(content.Headers, header.Key, header.Value);
            }
        }
        return message;
    }

    // A single value goes in as a string, so the common case does not box the StringValues.
    private static bool TryAddHeader(System.Net.Http.Headers.HttpHeaders target, string name, Microsoft.Extensions.Primitives.StringValues values)
        => values.Count == 1
            ? target.TryAddWithoutValidation(name, values.ToString())
            : target.TryAddWithoutValidation(name, (IEnumerable<string?>)values);

    // The raw target keeps the client's exact path and query encoding; an absolute-form target (rare) falls back to
    // the decoded path re-encoded.
    private static Uri TargetUri(HttpContext context, SiloNode silo)
    {
        var raw = context.Features.Get<IHttpRequestFeature>()?.RawTarget;
        var target = raw is { Length: > 0 } && raw[0] == '/'
            ? raw
            : context.Request.Path.ToUriComponent() + context.Request.QueryString.ToUriComponent();
        return new Uri(string.Concat(silo.Address, target), UriKind.Absolute);
    }

    private async Task CopyResponseAsync(HttpContext context, SiloNode silo, HttpResponseMessage response)
    {
        var aborted = context.RequestAborted;
        var clientResponse = context.Response;
        clientResponse.StatusCode = (int)response.StatusCode;
        CopyHeaders(response.Headers.NonValidated, clientResponse.Headers);
        CopyHeaders(response.Content.Headers.NonValidated, clientResponse.Headers);
        context.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();

        var buffer = ArrayPool<byte>.Shared.Rent(CopyBufferSize);
        var readingUpstream = true;
        try
        {
            await using var upstream = await response.Content.ReadAsStreamAsync(aborted);
            // Headers go out now: a client waiting for a slow first token already sees the status.
            readingUpstream = false;
            await clientResponse.StartAsync(aborted);
            while (true)
            {
                readingUpstream = true;
                var read = await upstream.ReadAsync(buffer, aborted);
                readingUpstream = false;
                if (read == 0)
                {
                    break;
                }
                await clientResponse.Body.WriteAsync(buffer.AsMemory(0, read), aborted);
                await clientResponse.Body.FlushAsync(aborted);
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or HttpRequestException)
        {
            if (aborted.IsCancellationRequested || !readingUpstream)
            {
                ForwarderLog.ClientAborted(logger, context.Request.Method, context.Request.Path.Value ?? "/");
            }
            else
            {
                ForwarderLog.ResponseStreamFailed(logger, silo.Address, context.Request.Method, context.Request.Path.Value ?? "/", ex);
            }
            // A cut stream must look cut to the client, not like a complete (shorter) response.
            context.Abort();
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static void CopyHeaders(System.Net.Http.Headers.HttpHeadersNonValidated source, IHeaderDictionary target)
    {
        foreach (var header in source)
        {
            if (HopByHopHeaders.IsHopByHop(header.Key))
            {
                continue;
            }
            var values = header.Value;
            if (values.Count == 1)
            {
                target[header.Key] = values.ToString();
            }
            else
            {
                var array = new string[values.Count];
                var i = 0;
                foreach (var value in values)
                {
                    array[i++] = value;
                }
                target[header.Key] = array;
            }
        }
    }
}
