using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Net.Http.Headers;
using Parley.Grains.Batches;
using Parley.Silo.Api;
using Parley.Silo.Auth;
using Parley.Silo.Chat;

namespace Parley.Silo.Batches;

/// <summary>Runs a batch line through <see cref="ChatCompletionHandler"/>, the very handler of
/// <c>POST /v1/chat/completions</c>, in process: the line's body becomes the request body of an in-memory request made
/// as the batch's creator (user and key), and the answer is read back from memory. So a line is validated, checked by
/// the policy, admitted against the user's and key's quotas, routed and paced on the upstream keys exactly as a client's
/// request, and counted in the same metrics; no HTTP loopback, no second authentication.</summary>
internal sealed class BatchLineExecutor(IServiceProvider services, ChatCompletionHandler handler) : IBatchLineExecutor
{
    /// <summary>The one 503 written after the upstream may have been reached (the silo's shutdown grace ended).</summary>
    private const string ShuttingDownCode = "silo_shutting_down";

    public async Task<BatchLineResult> ExecuteAsync(BatchLineRequest request, CancellationToken cancellationToken)
    {
        var context = new DefaultHttpContext { RequestServices = services, RequestAborted = cancellationToken };
        var http = context.Request;
        http.Method = HttpMethods.Post;
        http.Scheme = "http";
        http.Path = BatchOptions.ChatCompletionsEndpoint;
        http.ContentType = "application/json";
        http.ContentLength = request.Body.Length;
        http.Body = new MemoryStream(request.Body.ToArray(), writable: false);
        http.Headers[RequestIds.HeaderName] = request.RequestId;
        context.Features.Set(new Caller(request.UserId, request.KeyId, IsAdmin: false));
        using var response = new MemoryStream();
        context.Features.Set<IHttpResponseBodyFeature>(new StreamResponseBodyFeature(response));

        await handler.HandleAsync(context).ConfigureAwait(false);

        var headers = context.Response.Headers;
        var status = context.Response.StatusCode;
        var body = response.ToArray();
        var reached = int.TryParse(headers[ParleyHeaders.Attempts], NumberStyles.None, CultureInfo.InvariantCulture, out var attempts) && attempts > 0;
        var retryable = !reached && (status == StatusCodes.Status429TooManyRequests
            || status == StatusCodes.Status503ServiceUnavailable && ErrorCode(body) != ShuttingDownCode);
        TimeSpan? retryAfter = int.TryParse(headers[HeaderNames.RetryAfter], NumberStyles.None, CultureInfo.InvariantCulture, out var seconds)
            ? TimeSpan.FromSeconds(seconds)
            : null;
        return new BatchLineResult(status, headers[RequestIds.HeaderName].ToString() is { Length: > 0 } id ? id : request.RequestId, body, reached, retryable,
            retryAfter);
    }

    private static string? ErrorCode(byte[] body)
    {
        try
        {
            using var document = JsonDocument.Parse(body);
            return document.RootElement.TryGetProperty("error"u8, out var error) && error.ValueKind == JsonValueKind.Object
                && error.TryGetProperty("code"u8, out var code) && code.ValueKind == JsonValueKind.String ? code.GetString() : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
