using Parley.Silo.Api;

namespace Parley.Silo.Providers.Anthropic;

/// <summary>An Anthropic error as Parley answers it, in OpenAI's vocabulary.</summary>
/// <param name="Status">The HTTP status Parley answers (not necessarily Anthropic's: 529 → 503, 401 → 502, …).</param>
/// <param name="Message">The message for the client. Anthropic's own message is passed on for the client's mistakes and
/// rate limits; for failures on Parley's side (credentials, billing) it is replaced, as it may echo account details.</param>
/// <param name="Type">An OpenAI error type (<see cref="OpenAIErrorTypes"/>).</param>
/// <param name="Code">An OpenAI-style code, e.g. <c>context_length_exceeded</c>, <c>rate_limit_exceeded</c>.</param>
/// <param name="Param">The request field at fault, when Anthropic names one the client also knows.</param>
/// <param name="UpstreamType">Anthropic's own error type (e.g. <c>overloaded_error</c>), for logs and key health;
/// null when the body did not say.</param>
/// <param name="UpstreamMessage">Anthropic's own message, for logs only; null when the body did not say.</param>
internal sealed record AnthropicError(int Status, string Message, string Type, string? Code, string? Param, string? UpstreamType, string? UpstreamMessage)
{
    public ApiError ToApiError() => new(Status, Message, Type, Param, Code);
}
