using System.Text;
using Parley.Silo.Providers.Anthropic;
using Xunit;

namespace Parley.Silo.Tests.Providers.Anthropic;

/// <summary>Anthropic's error answers as Parley's, for every error type Anthropic documents and for bodies that are
/// not errors at all.</summary>
public sealed class AnthropicErrorTranslationTests
{
    private static AnthropicError Read(int status, string body) => AnthropicResponseTranslator.ReadError(status, Encoding.UTF8.GetBytes(body));

    private static string Body(string type, string message)
        => $$"""{"type":"error","error":{"type":"{{type}}","message":"{{message}}"},"request_id":"req_011CSHoEeqs5C35K2UUqR7Fy"}""";

    // AnthropicError is internal: the expected answers travel as objects.
    public static TheoryData<int, string, string, object> Errors => new()
    {
        { 400, "invalid_request_error", "messages: roles must alternate between \\\"user\\\" and \\\"assistant\\\"",
            new AnthropicError(400, "messages: roles must alternate between \"user\" and \"assistant\"", "invalid_request_error", null, "messages", "invalid_request_error", "messages: roles must alternate between \"user\" and \"assistant\"") },
        { 400, "invalid_request_error", "prompt is too long: 208310 tokens > 200000 maximum",
            new AnthropicError(400, "prompt is too long: 208310 tokens > 200000 maximum", "invalid_request_error", "context_length_exceeded", null, "invalid_request_error", "prompt is too long: 208310 tokens > 200000 maximum") },
        { 400, "invalid_request_error", "input length and `max_tokens` exceed context limit: 188240 + 21333 > 200000, decrease input length or `max_tokens` and try again",
            new AnthropicError(400, "input length and `max_tokens` exceed context limit: 188240 + 21333 > 200000, decrease input length or `max_tokens` and try again", "invalid_request_error", "context_length_exceeded", null, "invalid_request_error", "input length and `max_tokens` exceed context limit: 188240 + 21333 > 200000, decrease input length or `max_tokens` and try again") },
        { 400, "invalid_request_error", "Output blocked by content filtering policy",
            new AnthropicError(400, "Output blocked by content filtering policy", "invalid_request_error", "content_policy_violation", null, "invalid_request_error", "Output blocked by content filtering policy") },
        { 400, "invalid_request_error", "max_tokens: 300000 > 64000, which is the maximum allowed number of output tokens for claude-sonnet-4-5",
            new AnthropicError(400, "max_tokens: 300000 > 64000, which is the maximum allowed number of output tokens for claude-sonnet-4-5", "invalid_request_error", null, "max_tokens", "invalid_request_error", "max_tokens: 300000 > 64000, which is the maximum allowed number of output tokens for claude-sonnet-4-5") },
        { 400, "invalid_request_error", "stop_sequences: each stop sequence must contain non-whitespace",
            new AnthropicError(400, "stop_sequences: each stop sequence must contain non-whitespace", "invalid_request_error", null, "stop", "invalid_request_error", "stop_sequences: each stop sequence must contain non-whitespace") },
        { 401, "authentication_error", "invalid x-api-key",
            new AnthropicError(502, "The upstream provider 'Anthropic' refused Parley's credentials or account (HTTP 401, authentication_error).", "upstream_error", "upstream_error", null, "authentication_error", "invalid x-api-key") },
        { 402, "billing_error", "Your credit balance is too low to access the Anthropic API.",
            new AnthropicError(502, "The upstream provider 'Anthropic' refused Parley's credentials or account (HTTP 402, billing_error).", "upstream_error", "upstream_error", null, "billing_error", "Your credit balance is too low to access the Anthropic API.") },
        { 403, "permission_error", "Your API key does not have permission to use the specified resource.",
            new AnthropicError(502, "The upstream provider 'Anthropic' refused Parley's credentials or account (HTTP 403, permission_error).", "upstream_error", "upstream_error", null, "permission_error", "Your API key does not have permission to use the specified resource.") },
        { 404, "not_found_error", "model: claude-nonexistent",
            new AnthropicError(404, "model: claude-nonexistent", "invalid_request_error", "model_not_found", "model", "not_found_error", "model: claude-nonexistent") },
        { 404, "not_found_error", "Not Found",
            new AnthropicError(404, "Not Found", "invalid_request_error", "not_found", null, "not_found_error", "Not Found") },
        { 409, "conflict_error", "Conflict",
            new AnthropicError(409, "Conflict", "invalid_request_error", null, null, "conflict_error", "Conflict") },
        { 413, "request_too_large", "Request exceeds the maximum allowed number of bytes.",
            new AnthropicError(413, "Request exceeds the maximum allowed number of bytes.", "invalid_request_error", "request_too_large", null, "request_too_large", "Request exceeds the maximum allowed number of bytes.") },
        { 429, "rate_limit_error", "Number of request tokens has exceeded your per-minute rate limit",
            new AnthropicError(429, "Number of request tokens has exceeded your per-minute rate limit", "rate_limit_error", "rate_limit_exceeded", null, "rate_limit_error", "Number of request tokens has exceeded your per-minute rate limit") },
        { 500, "api_error", "Internal server error",
            new AnthropicError(502, "The upstream provider 'Anthropic' failed (HTTP 500, api_error): Internal server error", "upstream_error", "upstream_error", null, "api_error", "Internal server error") },
        { 504, "timeout_error", "Request timed out",
            new AnthropicError(504, "The upstream provider 'Anthropic' failed (HTTP 504, timeout_error): Request timed out", "timeout_error", "upstream_timeout", null, "timeout_error", "Request timed out") },
        { 529, "overloaded_error", "Overloaded",
            new AnthropicError(503, "The upstream provider 'Anthropic' failed (HTTP 529, overloaded_error): Overloaded", "upstream_error", "upstream_overloaded", null, "overloaded_error", "Overloaded") },
    };

    [Theory]
    [MemberData(nameof(Errors))]
    public void Each_Anthropic_error_type_becomes_Parleys_answer(int status, string type, string message, object expected)
    {
        Assert.Equal(expected, Read(status, Body(type, message)));
    }

    [Fact]
    public void A_spend_limit_is_insufficient_quota_not_a_passing_rate_limit()
    {
        var error = Read(429, """{"type":"error","error":{"type":"rate_limit_error","message":"You have reached your specified API usage limits.","details":{"error_code":"enforced_spend_limit_reached","x":[1]}}}""");

        Assert.Equal(new AnthropicError(429, "You have reached your specified API usage limits.", "rate_limit_error", "insufficient_quota", null, "rate_limit_error", "You have reached your specified API usage limits."), error);
    }

    public static TheoryData<int, byte[], object> Garbage => new()
    {
        { 529, Array.Empty<byte>(), new AnthropicError(503, "The upstream provider 'Anthropic' failed (HTTP 529).", "upstream_error", "upstream_overloaded", null, null, null) },
        { 502, "<html><body><h1>502 Bad Gateway</h1></body></html>"u8.ToArray(), new AnthropicError(502, "The upstream provider 'Anthropic' failed (HTTP 502).", "upstream_error", "upstream_error", null, null, null) },
        { 400, """{"type":"error","error":{"type":"invalid_request_error","message":"cut"""u8.ToArray(), new AnthropicError(400, "The upstream provider 'Anthropic' refused the request (HTTP 400).", "invalid_request_error", null, null, null, null) },
        { 400, [0x7B, 0x22, 0xFF, 0xFE, 0x22, 0x3A, 0x31, 0x7D], new AnthropicError(400, "The upstream provider 'Anthropic' refused the request (HTTP 400).", "invalid_request_error", null, null, null, null) },
        { 400, [.. """{"type":"error","error":{"type":"invalid_request_error","message":"bad """u8, 0xC3, .. "\"}}"u8], new AnthropicError(400, "The upstream provider 'Anthropic' refused the request (HTTP 400).", "invalid_request_error", null, null, null, null) },
        { 429, "[]"u8.ToArray(), new AnthropicError(429, "The upstream provider 'Anthropic' is rate limiting requests; retry later.", "rate_limit_error", "rate_limit_exceeded", null, null, null) },
        { 401, "null"u8.ToArray(), new AnthropicError(502, "The upstream provider 'Anthropic' refused Parley's credentials or account (HTTP 401).", "upstream_error", "upstream_error", null, null, null) },
        { 504, "upstream request timeout"u8.ToArray(), new AnthropicError(504, "The upstream provider 'Anthropic' failed (HTTP 504).", "timeout_error", "upstream_timeout", null, null, null) },
        { 418, """{"error":"I'm a teapot"}"""u8.ToArray(), new AnthropicError(418, "I'm a teapot", "invalid_request_error", null, null, null, "I'm a teapot") },
        { 400, """{"error":{"type":7,"message":null}}"""u8.ToArray(), new AnthropicError(400, "The upstream provider 'Anthropic' refused the request (HTTP 400).", "invalid_request_error", null, null, null, null) },
        { 200, """{"id":"msg_1","type":"message"}"""u8.ToArray(), new AnthropicError(502, "The upstream provider 'Anthropic' failed (HTTP 200).", "upstream_error", "upstream_error", null, null, null) },
    };

    [Theory]
    [MemberData(nameof(Garbage))]
    public void A_body_that_is_no_error_object_is_answered_by_its_status_alone(int status, byte[] body, object expected)
    {
        Assert.Equal(expected, AnthropicResponseTranslator.ReadError(status, body));
    }

    [Fact]
    public void A_huge_message_is_cut()
    {
        var error = Read(400, Body("invalid_request_error", new string('a', 10_000)));

        Assert.Equal(new string('a', 2000) + "…", error.Message);
        Assert.Equal(400, error.ToApiError().Status);
    }

    [Fact]
    public void The_answer_becomes_an_ApiError_with_its_param_and_code()
    {
        var error = Read(404, Body("not_found_error", "model: claude-x")).ToApiError();

        Assert.Equal(new Parley.Silo.Api.ApiError(404, "model: claude-x", "invalid_request_error", "model", "model_not_found"), error);
    }
}
