using Microsoft.AspNetCore.Http;
using Parley.Silo.Api;
using Parley.Silo.Conversations;

namespace Parley.Silo.Chat;

/// <summary>The refusals only <c>/v1/chat/completions</c> makes, worded like OpenAI's so SDK users recognise them;
/// malformed input is refused with <see cref="InputErrors"/>.</summary>
internal static class ChatErrors
{
    public const string ModelNotFoundCode = "model_not_found";
    public const string InvalidConversationIdCode = ConversationIds.InvalidIdCode;
    public const string ConversationNotFoundCode = ConversationEndpoints.NotFoundCode;
    public const string UpstreamErrorCode = "upstream_error";
    public const string UpstreamTimeoutCode = "upstream_timeout";
    public const string UpstreamStreamCutCode = "upstream_stream_cut";
    public const string ContextLengthExceededCode = "context_length_exceeded";
    public const string UpstreamCapacityCode = "upstream_capacity";

    public static ApiError ModelNotFound(string model)
        => new(StatusCodes.Status404NotFound, $"The model `{model}` does not exist or you do not have access to it.",
            OpenAIErrorTypes.InvalidRequest, "model", ModelNotFoundCode);

    public static ApiError InvalidConversationId(string param, string message)
        => InputErrors.BadRequest(message, param, InvalidConversationIdCode);

    public static ApiError ConversationNotFound(string id)
        => new(StatusCodes.Status404NotFound, $"Conversation '{id}' was not found.", OpenAIErrorTypes.InvalidRequest, "conversation", ConversationNotFoundCode);
}
