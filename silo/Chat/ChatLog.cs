using System.Net.Http;
using Microsoft.Extensions.Logging;

namespace Parley.Silo.Chat;

/// <summary>The chat path's log lines. None of them carries a key, an Authorization header or message content.</summary>
internal static partial class ChatLog
{
    [LoggerMessage(1, LogLevel.Debug, "Chat completion {RequestId}: model {Model} via {Provider} answered {Status} (streamed {Streamed}, truncated {Truncated}); usage prompt {PromptTokens}, completion {CompletionTokens}, total {TotalTokens}.")]
    public static partial void Completed(ILogger logger, string requestId, string model, string provider, int status, bool streamed, bool truncated, int? promptTokens, int? completionTokens, int? totalTokens);

    [LoggerMessage(2, LogLevel.Warning, "Chat completion {RequestId}: upstream provider {Provider} could not be reached ({Error}).")]
    public static partial void UpstreamUnreachable(ILogger logger, string requestId, string provider, HttpRequestError error, Exception exception);

    [LoggerMessage(3, LogLevel.Warning, "Chat completion {RequestId}: upstream provider {Provider} did not answer in time.")]
    public static partial void UpstreamTimedOut(ILogger logger, string requestId, string provider);

    [LoggerMessage(4, LogLevel.Warning, "Chat completion {RequestId}: upstream provider {Provider} answered HTTP {UpstreamStatus}; answered the client {Status}.")]
    public static partial void UpstreamRefused(ILogger logger, string requestId, string provider, int upstreamStatus, int status);

    [LoggerMessage(5, LogLevel.Warning, "Chat completion {RequestId}: the response from {Provider} was cut after it had started ({Reason}); the answer to the client was ended early.")]
    public static partial void ResponseCut(ILogger logger, string requestId, string provider, string reason, Exception? exception);

    [LoggerMessage(6, LogLevel.Warning, "Chat completion {RequestId}: the stream from {Provider} ended without [DONE].")]
    public static partial void StreamEndedEarly(ILogger logger, string requestId, string provider);

    [LoggerMessage(7, LogLevel.Debug, "Chat completion {RequestId}: the client disconnected.")]
    public static partial void ClientDisconnected(ILogger logger, string requestId);

    [LoggerMessage(8, LogLevel.Warning, "Chat completion {RequestId}: conversation {ConversationId} no longer exists; the turn was not stored.")]
    public static partial void ConversationGone(ILogger logger, string requestId, string conversationId);

    [LoggerMessage(9, LogLevel.Error, "Chat completion {RequestId}: storing the turn in conversation {ConversationId} failed.")]
    public static partial void ConversationAppendFailed(ILogger logger, string requestId, string conversationId, Exception exception);

    [LoggerMessage(10, LogLevel.Warning, "Chat completion {RequestId}: the response from {Provider} had no assistant message to store in conversation {ConversationId}.")]
    public static partial void NoAssistantMessage(ILogger logger, string requestId, string provider, string conversationId);

    [LoggerMessage(11, LogLevel.Information, "Chat completion {RequestId}: an earlier attempt of this turn is already stored in conversation {ConversationId}; it stands.")]
    public static partial void TurnAlreadyStored(ILogger logger, string requestId, string conversationId);

    [LoggerMessage(12, LogLevel.Information, "Chat completion {RequestId}: replayed the stored turn of conversation {ConversationId}.")]
    public static partial void TurnReplayed(ILogger logger, string requestId, string conversationId);

    [LoggerMessage(13, LogLevel.Warning, "Chat completion {RequestId}: releasing the unanswered turn of conversation {ConversationId} failed; it lapses when its silo leaves.")]
    public static partial void TurnReleaseFailed(ILogger logger, string requestId, string conversationId, Exception exception);
}
