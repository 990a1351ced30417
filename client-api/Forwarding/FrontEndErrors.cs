using System.Globalization;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Http;
using Microsoft.Net.Http.Headers;
using Parley.ClientApi.Hosting;

namespace Parley.ClientApi.Forwarding;

/// <summary>OpenAI's error body, <c>{"error":{"message","type","param","code"}}</c>: the front end's own errors
/// look like a silo's, so a client cannot tell which one answered.</summary>
public sealed record FrontEndErrorBody([property: JsonPropertyName("error")] FrontEndError Error);

public sealed record FrontEndError(
    [property: JsonPropertyName("message")] string Message,
    [property: JsonPropertyName("type")] string Type,
    [property: JsonPropertyName("param")] string? Param,
    [property: JsonPropertyName("code")] string? Code);

public static class FrontEndErrors
{
    public const string ServerErrorType = "server_error";
    public const string NoSiloAvailableCode = "no_silo_available";
    public const string UpstreamUnavailableCode = "upstream_unavailable";
    public const string UpstreamTimeoutCode = "upstream_timeout";

    public static Task WriteAsync(HttpContext context, int status, string message, string code, int? retryAfterSeconds = null)
    {
        var response = context.Response;
        response.StatusCode = status;
        if (retryAfterSeconds is { } seconds)
        {
            response.Headers[HeaderNames.RetryAfter] = seconds.ToString(CultureInfo.InvariantCulture);
        }
        var body = new FrontEndErrorBody(new FrontEndError(message, ServerErrorType, null, code));
        return response.WriteAsJsonAsync(body, FrontEndJsonContext.Default.FrontEndErrorBody, contentType: "application/json", context.RequestAborted);
    }
}
