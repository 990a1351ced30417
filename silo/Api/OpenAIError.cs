using System.Text.Json.Serialization;

namespace Parley.Silo.Api;

/// <summary>OpenAI's error body: <c>{"error":{"message","type","param","code"}}</c>.</summary>
public sealed record OpenAIErrorBody([property: JsonPropertyName("error")] OpenAIError Error);

public sealed record OpenAIError(
    [property: JsonPropertyName("message")] string Message,
    [property: JsonPropertyName("type")] string Type,
    [property: JsonPropertyName("param")] string? Param,
    [property: JsonPropertyName("code")] string? Code);

/// <summary>The error types OpenAI uses.</summary>
public static class OpenAIErrorTypes
{
    public const string InvalidRequest = "invalid_request_error";
    public const string Permission = "permission_error";
    public const string RateLimit = "rate_limit_error";
    public const string Server = "server_error";
    public const string Upstream = "upstream_error";
    public const string Timeout = "timeout_error";
}
