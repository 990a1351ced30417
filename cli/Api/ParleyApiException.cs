using System.Net;
using Parley.Cli.Hosting;

namespace Parley.Cli.Api;

/// <summary>The server answered with an error: its message, type and code (OpenAI's error shape) and status.</summary>
public sealed class ParleyApiException(HttpStatusCode status, string message, string? type, string? code, TimeSpan? retryAfter)
    : CliException(ExitCodeFor(status), message, code)
{
    public HttpStatusCode Status { get; } = status;

    public string? Type { get; } = type;

    /// <summary>From retry-after-ms, else Retry-After (seconds or an HTTP date).</summary>
    public TimeSpan? RetryAfter { get; } = retryAfter;

    /// <summary>"HTTP 429, rate_limit_exceeded" — what the one-line error shows after the message.</summary>
    public string Describe() => Code is null ? $"HTTP {(int)Status}" : $"HTTP {(int)Status}, {Code}";

    private static int ExitCodeFor(HttpStatusCode status)
        => status is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden ? ExitCodes.AuthError : ExitCodes.ApiError;
}
